"""The event stream's rows over a real MongoDB server and its change stream, through a real HTTP port:
each accountant hears of their own rows as they change and never of anyone else's, and hears of every
row again when the rows collection is swapped under the stream (a replay's rename). The change stream
is open only while someone listens."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.mongo import MongoServer
from deploy.local.processes import free_port
from services.gateway.row_changes import RowChanges
from shared.mongo import Document
from tests.gateway_support import dashboard_row, gateway_settings, in_process_gateway, sse_events

pytestmark = pytest.mark.integration
ME, OTHER, PASSWORD = "me@firm.example", "other@firm.example", "correct-horse-battery"
WITHIN_SECONDS = 20


@dataclass(frozen=True)
class LiveGateway:
    """A gateway serving on a real port, with ME's and OTHER's rows for the same three companies."""

    url: str
    app: FastAPI

    @property
    def row_changes(self) -> RowChanges:
        changes: RowChanges = self.app.state.row_changes
        return changes


@pytest.fixture
async def gateway(mongo_server: MongoServer, mongo_db: AsyncDatabase[Document]) -> AsyncIterator[LiveGateway]:
    rows = [dashboard_row(a, n) for a in (ME, OTHER) for n in range(3)]
    await mongo_db["dashboard_rows"].insert_many(rows)
    settings = gateway_settings(
        mongo_server.url,
        mongo_db.name,
        {ME: PASSWORD, OTHER: PASSWORD},
        stream_poll_seconds=0.2,
        stream_session_check_seconds=0.2,
    )
    app = in_process_gateway(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(WITHIN_SECONDS):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
                await asyncio.sleep(0.05)
        yield LiveGateway(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        await serving


@contextlib.asynccontextmanager
async def stream_of(gateway: LiveGateway, email: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
    """`email`'s open event stream, subscribed, yielding the data of its `rows` events."""
    async with httpx.AsyncClient(base_url=gateway.url, timeout=httpx.Timeout(10, read=60)) as client:
        session = await client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {session.json()['token']}"}
        async with client.stream("GET", "/api/v1/stream", headers=headers) as response:
            assert response.status_code == 200
            lines = response.aiter_lines()
            assert (await anext(lines)).startswith("retry:")  # sent once the stream is subscribed

            async def rows() -> AsyncIterator[dict[str, Any]]:
                async for name, data in sse_events(lines):
                    if name == "rows":
                        yield data

            yield rows()


async def test_a_stream_names_my_rows_as_they_change_and_never_another_accountants(
    gateway: LiveGateway, mongo_db: AsyncDatabase[Document]
) -> None:
    rows = mongo_db["dashboard_rows"]
    named: set[str] = set()
    async with stream_of(gateway, ME) as events:
        # OTHER's row of company c1 changes first: ME has a row of c1 too, and must not hear of it.
        await rows.replace_one({"_id": f"{OTHER}|c1"}, {**dashboard_row(OTHER, 1), "overdue_sales_count": 9})
        await rows.replace_one({"_id": f"{ME}|c2"}, {**dashboard_row(ME, 2), "overdue_sales_count": 7})
        await rows.delete_one({"_id": f"{ME}|c0"})  # a revoked grant
        async with asyncio.timeout(WITHIN_SECONDS):
            async for event in events:
                assert "resync" not in event
                named |= set(event["company_ids"])
                if {"c0", "c2"} <= named:
                    break
    assert named == {"c0", "c2"}


async def test_a_stream_lists_every_row_again_after_the_rows_are_swapped_and_then_follows_the_new_ones(
    gateway: LiveGateway, mongo_client: Any, mongo_db: AsyncDatabase[Document]
) -> None:
    rebuilt = mongo_client[f"{mongo_db.name}_rebuilt"]["dashboard_rows"]
    await rebuilt.bulk_write(
        [ReplaceOne({"_id": f"{ME}|c{n}"}, dashboard_row(ME, n), upsert=True) for n in range(5)]
    )
    async with stream_of(gateway, ME) as events:
        await mongo_client.admin.command(
            "renameCollection",
            f"{mongo_db.name}_rebuilt.dashboard_rows",
            to=f"{mongo_db.name}.dashboard_rows",
            dropTarget=True,
        )
        async with asyncio.timeout(WITHIN_SECONDS):
            resync = await anext(events)
            assert resync == {"company_ids": ["c0", "c1", "c2", "c3", "c4"], "resync": True}
            await gateway.row_changes.watching.wait()
            await mongo_db["dashboard_rows"].replace_one(
                {"_id": f"{ME}|c4"}, {**dashboard_row(ME, 4), "overdue_sales_count": 1}
            )
            assert await anext(events) == {"company_ids": ["c4"]}


async def test_the_stream_refuses_a_caller_without_a_session(gateway: LiveGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        answer = await client.get("/api/v1/stream", headers={"Authorization": "Bearer not-a-session"})
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_the_change_stream_is_open_only_while_someone_listens(
    gateway: LiveGateway, mongo_db: AsyncDatabase[Document]
) -> None:
    assert not gateway.row_changes.watching.is_set()
    async with stream_of(gateway, ME) as events:
        assert gateway.row_changes.watching.is_set()
        await mongo_db["dashboard_rows"].delete_one({"_id": f"{ME}|c1"})
        async with asyncio.timeout(WITHIN_SECONDS):
            assert await anext(events) == {"company_ids": ["c1"]}
    async with asyncio.timeout(WITHIN_SECONDS):
        while gateway.row_changes.watching.is_set():  # noqa: ASYNC110 - closed by the watcher's loop
            await asyncio.sleep(0.05)


async def test_a_stream_ends_soon_after_its_session_does_and_says_why(gateway: LiveGateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=httpx.Timeout(10, read=60)) as client:
        session = await client.post("/api/v1/session", json={"email": ME, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {session.json()['token']}"}
        async with client.stream("GET", "/api/v1/stream", headers=headers) as response:
            lines = response.aiter_lines()
            assert (await anext(lines)).startswith("retry:")
            signed_out = await client.delete("/api/v1/session", headers=headers)
            assert signed_out.status_code == 204
            async with asyncio.timeout(WITHIN_SECONDS):
                events = [event async for event in sse_events(lines)]  # until the server ends it
        refused = await client.get("/api/v1/stream", headers=headers)

    assert events[-1][0] == "signed-out"
    assert "sign in again" in events[-1][1]["detail"]
    assert refused.status_code == 401
