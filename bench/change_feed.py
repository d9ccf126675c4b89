"""The benchmark's own view of changes in the client's books: Business Central webhooks.

The bench subscribes, like any BC API client, to the entity sets every mutator change touches
(sales invoices, purchase invoices, sales quotes) of every company, and receives the simulator's
notices on a small HTTP server of its own. Each notice names the company and carries the entity's
`lastModifiedDateTime`: the moment of the change in the client's books, by the simulator's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from deploy.local.bc_simulator.client import access_token
from deploy.local.processes import free_port

WATCHED_SETS = ("salesInvoices", "purchaseInvoices", "salesQuotes")
CLIENT_STATE = "accountant-hub-bench"
SUBSCRIBE_CONCURRENCY = 16
_COMPANY = re.compile(r"companies\((?P<id>[0-9a-fA-F-]{36})\)")


@dataclass(frozen=True)
class BooksChange:
    """One notice: a company's entity changed at `at` (the simulator's lastModifiedDateTime)."""

    company_id: str
    entity_set: str
    change_type: str
    at: datetime


OnChange = Callable[[BooksChange], None]


def _notices(body: dict[str, Any]) -> list[BooksChange]:
    changes = []
    for notice in body.get("value", []):
        match = _COMPANY.search(notice["resource"])
        if match is None or notice.get("clientState") != CLIENT_STATE:
            continue
        entity_set = notice["resource"].split(")/", 1)[-1].split("(", 1)[0]
        at = datetime.fromisoformat(notice["lastModifiedDateTime"].replace("Z", "+00:00"))
        changes.append(BooksChange(match["id"].lower(), entity_set, notice["changeType"], at))
    return changes


def _app(on_change: OnChange) -> Starlette:
    async def receive(request: Request) -> Response:
        token = request.query_params.get("validationToken")
        if token is not None:
            return PlainTextResponse(token)
        for change in _notices(await request.json()):
            on_change(change)
        return Response(status_code=202)

    return Starlette(routes=[Route("/notify", receive, methods=["POST"])])


@contextlib.asynccontextmanager
async def receiver(on_change: OnChange) -> AsyncIterator[str]:
    """Serve the notification URL in this event loop; yields the URL to subscribe with."""
    port = free_port()
    config = uvicorn.Config(_app(on_change), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/notify"
    finally:
        server.should_exit = True
        await task


async def subscribe_all(companies: list[dict[str, Any]], notification_url: str) -> int:
    """One subscription per company and watched entity set; how many were created."""
    tokens: dict[str, str] = {}
    gate = asyncio.Semaphore(SUBSCRIBE_CONCURRENCY)
    async with httpx.AsyncClient(timeout=60) as http:
        for company in companies:
            if company["tokenUrl"] not in tokens:
                tokens[company["tokenUrl"]] = await access_token(http, company["tokenUrl"])

        async def one(company: dict[str, Any], entity_set: str) -> None:
            api_root = company["apiUrl"].split("/companies(", 1)[0]
            body = {
                "notificationUrl": notification_url,
                "resource": f"api/v2.0/companies({company['companyId']})/{entity_set}",
                "clientState": CLIENT_STATE,
            }
            headers = {"Authorization": f"Bearer {tokens[company['tokenUrl']]}"}
            async with gate:
                for attempt in range(5):
                    answer = await http.post(f"{api_root}/subscriptions", json=body, headers=headers)
                    if answer.status_code != 429:
                        break
                    await asyncio.sleep(float(answer.headers.get("Retry-After", "1")) * (attempt + 1))
                answer.raise_for_status()

        await asyncio.gather(*(one(c, s) for c in companies for s in WATCHED_SETS))
    return len(companies) * len(WATCHED_SETS)
