"""Composition root of the Business Central simulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from starlette.responses import Response

from . import api, control, control_documents, control_runtime, odata_v4, webhooks
from .auth import TokenIssuer, token_router
from .books import SimulatedBooks
from .deps import Simulator
from .mutator import Mutator
from .notifier import Notifier, WebhookHttp, Webhooks
from .odata import BcApiError
from .settings import SimulatorSettings
from .state import Clock, SimulatorState, utc_now
from .subscriptions import SubscriptionRegistry
from .throttle import Throttle, ThrottleMiddleware
from .truncation import TruncationMiddleware


def create_app(
    books: SimulatedBooks,
    settings: SimulatorSettings,
    *,
    clock: Clock = utc_now,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """A FastAPI app serving `books` through BC's API v2.0 and ODataV4 pages, Entra ID's token
    endpoint and the `/_simulator/` control routes. `clock` lets tests move time (token and
    subscription expiry, the rate window); `webhook_transport` carries the simulator's outgoing
    webhook calls (tests route them to an in-process receiver). The webhook dispatcher and, when
    `settings.mutator_changes_per_second` > 0, the mutator run during the app's lifespan."""
    sim = _simulator(books, settings, clock, webhook_transport)
    app = FastAPI(
        title="Business Central API v2.0 simulator",
        description="A local stand-in for Dynamics 365 Business Central, for tests and demos.",
        lifespan=_lifespan(sim),
    )
    app.state.simulator = sim
    app.include_router(token_router(books, sim.issuer))
    for module in (webhooks, api, odata_v4, control, control_documents, control_runtime):
        app.include_router(module.router)
    app.add_exception_handler(BcApiError, _bc_error)
    app.add_middleware(TruncationMiddleware, faults=sim.state.faults)
    app.add_middleware(ThrottleMiddleware, throttle=sim.throttle, issuer=sim.issuer)
    return app


def _simulator(
    books: SimulatedBooks,
    settings: SimulatorSettings,
    clock: Clock,
    transport: httpx.AsyncBaseTransport | None,
) -> Simulator:
    state = SimulatorState(books, clock)
    registry = SubscriptionRegistry(clock, settings.subscription_ttl_seconds)
    http = WebhookHttp(settings, transport)
    notifier = Notifier(settings, registry, http)
    state.tables.listen(notifier.on_change)
    hooks = Webhooks(registry, notifier, http)
    issuer = TokenIssuer(settings, clock)
    return Simulator(state, issuer, settings, Throttle(settings, clock), hooks, Mutator(state, settings.seed))


def _lifespan(sim: Simulator) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        dispatcher = asyncio.create_task(sim.webhooks.notifier.run(), name="bc-sim webhook dispatcher")
        if sim.settings.mutator_changes_per_second > 0:
            sim.mutator.start(sim.settings.mutator_changes_per_second)
        try:
            yield
        finally:
            await sim.mutator.stop()
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
            await sim.webhooks.http.aclose()

    return lifespan


async def _bc_error(_request: Request, error: Exception) -> Response:
    if not isinstance(error, BcApiError):  # registered for BcApiError only
        raise error
    return error.to_response()
