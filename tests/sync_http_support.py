"""The BC simulator served over real HTTP (uvicorn on a loopback port, in the test's event loop), and a
Business Central connector wired to one of its tenants. (No tests here.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from deploy.local.bc_simulator import SimulatedBooks, SimulatorSettings, create_app
from deploy.local.processes import free_port
from services.sync.connectors.bc_client import BusinessCentralClient
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.connectors.business_central import BusinessCentralConnector
from services.sync.settings import ClientConnection


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` on a free loopback port until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class HttpBc:
    """A simulator over HTTP, a control client for it, and a connector to its first tenant."""

    url: str
    control: httpx.AsyncClient
    connection: ClientConnection
    connector: BusinessCentralConnector
    client: BusinessCentralClient

    async def stats(self) -> dict[str, Any]:
        """`GET /_simulator/stats`."""
        body: dict[str, Any] = (await self.control.get("/_simulator/stats")).json()
        return body


@asynccontextmanager
async def simulator_over_http(
    books: SimulatedBooks, settings: SimulatorSettings, budget: SlidingWindowBudget, concurrency: int = 5
) -> AsyncIterator[HttpBc]:
    """The simulator on a loopback port, and sync's connector to its first tenant with `budget`."""
    async with (
        served(create_app(books, settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as control,
        httpx.AsyncClient(timeout=30) as http,
    ):
        tenant = books.tenants[0]
        connection = ClientConnection(
            client_id="contoso",
            client_name=tenant.name,
            tenant=str(tenant.id),
            environment=settings.environment,
            api_base_url=url,
            login_base_url=url,
            oauth_client_id=settings.client_id,
            oauth_client_secret=SecretStr(settings.client_secret),
        )
        client = BusinessCentralClient(http, connection, concurrency, budget)
        yield HttpBc(url, control, connection, BusinessCentralConnector(client, connection), client)
