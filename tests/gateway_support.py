"""The gateway in the test process over a real MongoDB, with signed-in API clients."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from services.gateway.main import create_app
from services.gateway.settings import AccountSeed, GatewaySettings
from shared.mongo import Document
from shared.settings import ServiceSettings


def gateway_settings(
    mongo_url: str,
    database: str,
    accounts: dict[str, str],
    kafka_bootstrap_servers: str | None = None,
    credentials_key: str | None = None,
    **overrides: Any,
) -> GatewaySettings:
    """Settings for an in-process gateway with these accounts seeded; without Kafka unless given one."""
    common = ServiceSettings(
        mongo_url=mongo_url,
        mongo_database=database,
        kafka_bootstrap_servers=kafka_bootstrap_servers or "unused:9092",
        credentials_key=SecretStr(credentials_key) if credentials_key else None,
    )
    return GatewaySettings(
        common=common,
        seed_accounts=tuple(AccountSeed(email=e, password=p) for e, p in accounts.items()),
        secure_cookies=False,
        kafka_enabled=kafka_bootstrap_servers is not None,
        **overrides,
    )


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started (lifespan) with an anonymous client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            yield client


async def bearer_client(app: FastAPI, email: str, password: str) -> httpx.AsyncClient:
    """A client of the (already started) app carrying a bearer token for `email`."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub")
    response = await client.post("/api/v1/session", json={"email": email, "password": password})
    response.raise_for_status()
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


def in_process_gateway(settings: GatewaySettings) -> FastAPI:
    """A gateway app (no I/O until started)."""
    return create_app(settings)


def dashboard_row(accountant: str, n: int) -> Document:
    """Row `n` of `accountant`'s dashboard as the aggregator writes it: company `c<n>`, two clients."""
    return {
        "_id": f"{accountant}|c{n}",
        "accountant_id": accountant,
        "company_id": f"c{n}",
        "client_name": f"Client {n % 2}",
        "company_name": f"Company {n}",
        "as_of": "2026-11-25",
        "overdue_sales": [],
        "overdue_sales_count": n,
        "last_synced_at": None,
        "last_sync_error": None,
        "web_url": None,
    }


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, Any]]:
    """The named events in the lines of a Server-Sent Events stream: (event name, its JSON data);
    comments and `retry:` skipped."""
    name = None
    async for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: ") and name is not None:
            yield name, json.loads(line.removeprefix("data: "))
            name = None
