"""Sync keeps within a client environment's request budget, as the client system counts it, and
retries what a retry can fix."""

from __future__ import annotations

import asyncio
import time
from datetime import date

import httpx
import pytest
from pydantic import SecretStr

from deploy.local.bc_simulator import SimulatorSettings, create_app, generate_books
from services.sync.connectors.bc_client import BusinessCentralClient
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.connectors.business_central import BusinessCentralConnector
from services.sync.settings import ClientConnection
from tests.sync_http_support import simulator_over_http


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_place_in_the_window_frees_a_window_after_the_answer_not_after_the_send() -> None:
    clock = Clock()
    budget = SlidingWindowBudget(limit=2, window_seconds=10, clock=clock)
    async with budget.request():
        clock.now += 3  # a slow answer: the server admitted the request at some time up to now
    async with budget.request():
        clock.now += 3

    clock.now = 100 + 10.5
    assert budget.used == 2, "sent 10.5 s ago but answered 7.5 s ago: still in the server's window"
    clock.now = 100 + 13
    assert budget.used == 1


async def test_a_request_beyond_the_limit_waits_for_the_oldest_answer_to_leave_the_window() -> None:
    budget = SlidingWindowBudget(limit=3, window_seconds=0.3)
    started = time.monotonic()
    for _ in range(3):
        async with budget.request():
            pass
    first_answered = time.monotonic()
    async with budget.request():
        waited_until = time.monotonic()

    assert waited_until - first_answered >= 0.29 - (first_answered - started)
    assert waited_until - started < 1.0, "and no longer than the window"


async def test_the_limiter_never_exceeds_the_window_or_the_concurrency_measured_at_the_simulator() -> None:
    limit, window = 30, 3.0
    books = generate_books(seed=5, tenants=1, companies_per_tenant=1, today=date(2026, 11, 25))
    settings = SimulatorSettings(requests_per_window=limit, window_seconds=window)
    async with simulator_over_http(books, settings, SlidingWindowBudget(limit, window)) as bc:
        company = (await bc.connector.list_companies())[0]
        await bc.control.post(f"/_simulator/companies/{company.id}/slow", json={"seconds": 0.02})
        await asyncio.sleep(window)  # the listing's request leaves the window
        await bc.control.post("/_simulator/stats/reset")
        url = f"{bc.client.api_root}/companies({company.id})/vendors"
        started = time.monotonic()
        await asyncio.gather(*(bc.client.get_json(url) for _ in range(2 * limit)))
        elapsed = time.monotonic() - started
        stats = await bc.stats()

    assert stats["requestsServed"] == 2 * limit
    assert stats["requestsThrottled"] == 0, "no 429: the budget is counted as the simulator counts it"
    assert stats["maxRequestsInWindowObserved"] == limit, "never over the window, and filling it"
    assert stats["maxConcurrencyObserved"] <= 5
    assert elapsed >= window, "two windows' worth cannot take less than one window"


class DropsConnections(httpx.AsyncBaseTransport):
    """Forwards to the simulator, except that the first `drops` API requests lose their connection."""

    def __init__(self, inner: httpx.AsyncBaseTransport, drops: int) -> None:
        self.inner, self.drops = inner, drops

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.drops and "/api/v2.0/" in request.url.path:
            self.drops -= 1
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return await self.inner.handle_async_request(request)


async def test_a_dropped_connection_is_retried_instead_of_failing_the_company(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []

    async def no_wait(delay: float) -> None:
        pauses.append(delay)

    monkeypatch.setattr("services.sync.connectors.bc_client.asyncio.sleep", no_wait)
    books = generate_books(seed=5, tenants=1, companies_per_tenant=2, today=date(2026, 11, 25))
    app = create_app(books, SimulatorSettings())
    transport = DropsConnections(httpx.ASGITransport(app=app), drops=2)
    tenant = books.tenants[0]
    connection = ClientConnection(
        client_id="contoso",
        client_name=tenant.name,
        tenant=str(tenant.id),
        api_base_url="http://bc.test",
        login_base_url="http://bc.test",
        oauth_client_id="accountant-hub",
        oauth_client_secret=SecretStr("local-secret"),
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://bc.test") as http:
        client = BusinessCentralClient(http, connection, 5, SlidingWindowBudget(6000, 300))
        companies = await BusinessCentralConnector(client, connection).list_companies()

    assert len(companies) == 2
    assert len(pauses) == 2
    assert all(0.25 <= p <= 0.6 for p in pauses), "a short, jittered, growing pause before each retry"
