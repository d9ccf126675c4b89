"""BC's documented limits, enforced on every authenticated API and ODataV4 request.

Per environment at most `max_concurrent_requests` are processed at once and up to
`max_queued_requests` wait their turn; per client (the token's tenant and client id) at most
`requests_per_window` are admitted in any `window_seconds`. Beyond either: HTTP 429 with
`Retry-After` (unless switched off). Counters let benchmarks compare their use with the budget.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import TokenIssuer
from .odata import BcApiError
from .settings import SimulatorSettings

_LIMITED_PATH = re.compile(r"^/v2\.0/(?P<tenant>[^/]+)/(?P<environment>[^/]+)/(?:api|ODataV4)(?:/|$)")
ADMISSIONS_KEPT = 100_000
Client = tuple[str, str]  # tenant id, client id
Environment = tuple[str, str]  # tenant, environment name


@dataclass
class _Gate:
    active: int = 0
    waiting: deque[asyncio.Future[None]] = field(default_factory=deque)


@dataclass
class ThrottleStats:
    """What the simulator observed since start (or the last reset)."""

    requests_served: int = 0
    throttled_by_window: int = 0
    throttled_by_queue: int = 0
    max_concurrency_observed: int = 0
    max_queued_observed: int = 0
    max_requests_in_window_observed: int = 0
    served_by_client: dict[Client, int] = field(default_factory=dict)
    admitted_at: dict[Client, deque[float]] = field(default_factory=dict)
    """When each client's requests were admitted (epoch seconds; the newest ADMISSIONS_KEPT), so a
    benchmark can count them per sliding window itself."""


class Throttle:
    """The concurrency gates per environment and the sliding windows per client."""

    def __init__(self, settings: SimulatorSettings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self._clock = clock
        self._gates: dict[Environment, _Gate] = {}
        self._windows: dict[Client, deque[float]] = {}
        self.stats = ThrottleStats()

    def window_retry_after(self, client: Client) -> int | None:
        """Seconds until the client may send again, or None when the window has room."""
        now, window = self._clock().timestamp(), self._windows.setdefault(client, deque())
        while window and window[0] <= now - self.settings.window_seconds:
            window.popleft()
        if len(window) < self.settings.requests_per_window:
            return None
        return max(1, math.ceil(window[0] + self.settings.window_seconds - now))

    def has_room(self, environment: Environment) -> bool:
        """Whether a request would be processed now or could queue."""
        gate = self._gates.setdefault(environment, _Gate())
        waiting = sum(not future.done() for future in gate.waiting)
        return (
            gate.active < self.settings.max_concurrent_requests or waiting < self.settings.max_queued_requests
        )

    def in_flight(self) -> dict[Environment, tuple[int, int]]:
        """Per environment: requests being processed and requests waiting."""
        return {env: (g.active, sum(not f.done() for f in g.waiting)) for env, g in self._gates.items()}

    def admit(self, client: Client) -> None:
        """Count the request in the client's window."""
        window, now = self._windows.setdefault(client, deque()), self._clock().timestamp()
        window.append(now)
        stats = self.stats
        stats.admitted_at.setdefault(client, deque(maxlen=ADMISSIONS_KEPT)).append(now)
        stats.max_requests_in_window_observed = max(stats.max_requests_in_window_observed, len(window))

    def in_window(self, client: Client) -> int:
        """Requests of the client in the current window."""
        self.window_retry_after(client)
        return len(self._windows.get(client, ()))

    @asynccontextmanager
    async def slot(self, environment: Environment) -> AsyncIterator[None]:
        """Hold one of the environment's processing slots, queueing for it if need be."""
        gate = self._gates.setdefault(environment, _Gate())
        if gate.active < self.settings.max_concurrent_requests:
            gate.active += 1
        else:
            await self._queue(gate)
        self.stats.max_concurrency_observed = max(self.stats.max_concurrency_observed, gate.active)
        try:
            yield
        finally:
            self._release(gate)

    def reset_stats(self) -> None:
        """Zero the counters (windows and gates keep their state)."""
        self.stats = ThrottleStats()

    async def _queue(self, gate: _Gate) -> None:
        """Wait for a slot (the caller checked `has_room` without awaiting since)."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        gate.waiting.append(turn)
        self.stats.max_queued_observed = max(self.stats.max_queued_observed, len(gate.waiting))
        try:
            await turn  # the slot is handed over by the request that releases it
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release(gate)
            raise

    def _release(self, gate: _Gate) -> None:
        while gate.waiting:
            turn = gate.waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        gate.active -= 1


class ThrottleMiddleware:
    """Applies the throttle to `/v2.0/{tenant}/{environment}/api|ODataV4/...` requests that carry
    a live token (the routes answer 401 to the others, uncounted)."""

    def __init__(self, app: ASGIApp, throttle: Throttle, issuer: TokenIssuer) -> None:
        self.app, self.throttle, self.issuer = app, throttle, issuer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _LIMITED_PATH.match(scope["path"]) if scope["type"] == "http" else None
        issued = self.issuer.principal(Headers(scope=scope).get("authorization")) if match else None
        if match is None or issued is None:
            await self.app(scope, receive, send)
            return
        client, environment = (
            (str(issued.tenant_id), issued.client_id),
            (match["tenant"], match["environment"]),
        )
        retry_after = self.throttle.window_retry_after(client)
        if retry_after is not None:
            self.throttle.stats.throttled_by_window += 1
            await self._too_many(retry_after, scope, receive, send)
            return
        if not self.throttle.has_room(environment):
            self.throttle.stats.throttled_by_queue += 1
            await self._too_many(1, scope, receive, send)
            return
        self.throttle.admit(client)
        async with self.throttle.slot(environment):
            await self.app(scope, receive, send)
        stats = self.throttle.stats
        stats.requests_served += 1
        stats.served_by_client[client] = stats.served_by_client.get(client, 0) + 1

    async def _too_many(self, retry_after: int, scope: Scope, receive: Receive, send: Send) -> None:
        settings = self.throttle.settings
        headers = {"Retry-After": str(retry_after)} if settings.retry_after_on_429 else {}
        message = (
            f"Too many requests reached. Maximum ({settings.requests_per_window}) requests per "
            f"{settings.window_seconds:g} seconds, ({settings.max_concurrent_requests}) processed at once "
            f"and ({settings.max_queued_requests}) queued."
        )
        await BcApiError(429, "Application_TooManyRequests", message, headers).to_response()(
            scope, receive, send
        )
