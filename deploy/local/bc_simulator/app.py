"""Composition root of the Business Central simulator."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from . import api, control
from .auth import TokenIssuer, token_router
from .books import SimulatedBooks
from .deps import Simulator
from .odata import BcApiError
from .settings import SimulatorSettings
from .state import Clock, SimulatorState, utc_now


def create_app(books: SimulatedBooks, settings: SimulatorSettings, *, clock: Clock = utc_now) -> FastAPI:
    """A FastAPI app serving `books` through BC's API v2.0, Entra ID's token endpoint and
    the `/_simulator/` control routes; `clock` lets tests move time (token expiry)."""
    state = SimulatorState(books, clock)
    issuer = TokenIssuer(settings, clock)
    app = FastAPI(
        title="Business Central API v2.0 simulator",
        description="A local stand-in for Dynamics 365 Business Central, for tests and demos.",
    )
    app.state.simulator = Simulator(state, issuer, settings)
    app.include_router(token_router(books, issuer))
    app.include_router(api.router)
    app.include_router(control.router)
    app.add_exception_handler(BcApiError, _bc_error)
    return app


async def _bc_error(_request: Request, error: Exception) -> Response:
    if not isinstance(error, BcApiError):  # registered for BcApiError only
        raise error
    return error.to_response()
