"""Helpers for the simulator's tests: an in-process simulator, a movable clock, BC-style reads.

(No tests here; the name only keeps it next to the tests that import it.)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from deploy.local.bc_simulator import SimulatorSettings, create_app, generate_books

TODAY = date(2026, 11, 25)
SCOPE = "https://api.businesscentral.dynamics.com/.default"
BASE_URL = "http://bc.test"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Bc:
    """A simulator served in-process, and a client of it."""

    app: FastAPI
    http: httpx.AsyncClient
    clock: FakeClock

    async def companies(self) -> list[dict[str, Any]]:
        """`GET /_simulator/companies`."""
        response = await self.http.get("/_simulator/companies")
        assert response.status_code == 200
        companies: list[dict[str, Any]] = response.json()
        return companies

    async def headers(self, info: dict[str, Any]) -> dict[str, str]:
        """A bearer token of the company's tenant."""
        form = {"grant_type": "client_credentials", "client_id": "accountant-hub"}
        form |= {"client_secret": "local-secret", "scope": SCOPE}
        response = await self.http.post(info["tokenUrl"], data=form)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def get_all(self, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
        """Follow @odata.nextLink to the end; numbers parsed as Decimal straight from the text."""
        rows: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url is not None:
            response = await self.http.get(next_url, headers=headers)
            assert response.status_code == 200, response.text
            page = json.loads(response.text, parse_float=Decimal)
            rows.extend(page["value"])
            next_url = page.get("@odata.nextLink")
        return rows

    async def entity_set(self, info: dict[str, Any], name: str) -> list[dict[str, Any]]:
        """Every row of one of the company's entity sets."""
        return await self.get_all(f"{info['apiUrl']}/{name}", await self.headers(info))

    async def control(self, path: str, **kwargs: Any) -> Any:
        """POST to `/_simulator{path}`, expecting success."""
        response = await self.http.post(f"/_simulator{path}", **kwargs)
        assert response.status_code in (200, 201), response.text
        return response.json()


def api_root(info: dict[str, Any]) -> str:
    """`.../v2.0/{tenant}/{environment}/api/v2.0` of the company's tenant."""
    return str(info["apiUrl"]).split("/companies(")[0]


def odata_company(info: dict[str, Any]) -> str:
    """`.../ODataV4/Company('{name}')` of the company."""
    return str(info["apiUrl"]).split("/api/v2.0")[0] + f"/ODataV4/Company('{info['name']}')"


@asynccontextmanager
async def simulator(
    settings: SimulatorSettings | None = None,
    *,
    seed: int = 7,
    lifespan: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: FakeClock | None = None,
) -> AsyncIterator[Bc]:
    """A simulator of 2 tenants x 2 companies; with `lifespan` its background tasks run."""
    clock = clock or FakeClock()
    books = generate_books(seed=seed, tenants=2, companies_per_tenant=2, today=TODAY)
    app = create_app(books, settings or SimulatorSettings(), clock=clock, webhook_transport=transport)
    async with AsyncExitStack() as stack:
        if lifespan:
            await stack.enter_async_context(app.router.lifespan_context(app))
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
        )
        yield Bc(app, http, clock)


def amount(value: Any) -> Decimal:
    """A JSON amount as Decimal (already one when parsed with `get_all`)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def total(
    rows: list[dict[str, Any]], key: str, where: Callable[[dict[str, Any]], bool] = lambda _: True
) -> Decimal:
    """Sum of `key` over the rows that satisfy `where`."""
    return sum((amount(row[key]) for row in rows if where(row)), Decimal(0))
