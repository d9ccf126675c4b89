"""The gateway API as the benchmarks use it: sign in as the sample accountant, read every row,
wait for a freshly started stack to have synced every company."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from aiokafka.errors import KafkaError

from bench.progress import Progress
from deploy.local.stack import SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD, Stack
from services.aggregator.offsets import behind, committed_offsets, end_offsets
from shared.settings import ServiceSettings
from shared.topics import ACCESS_EVENTS, COMPANY_RECORDS, COMPANY_SYNC_STATUS

WEBHOOK_SETS_PER_COMPANY = 6  # services/sync/subscriptions.py ENTITY_SETS
AGGREGATOR_GROUP = "aggregator"
SETTLED_CHECK_SECONDS = 10.0


async def signed_in(stack: Stack, connections: int = 64) -> httpx.AsyncClient:
    """An API client with the sample accountant's bearer token."""
    api = httpx.AsyncClient(
        base_url=stack.gateway_url, timeout=60, limits=httpx.Limits(max_connections=connections)
    )
    session = await api.post(
        "/api/v1/session", json={"email": SAMPLE_ACCOUNTANT, "password": SAMPLE_PASSWORD}
    )
    session.raise_for_status()
    api.headers["Authorization"] = f"Bearer {session.json()['token']}"
    return api


async def all_rows(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Every dashboard row of the signed-in accountant, page by page."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500} | ({"cursor": cursor} if cursor else {})
        page = await api.get("/api/v1/dashboard", params=params)
        page.raise_for_status()
        rows += page.json()["rows"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return rows


async def settled(api: httpx.AsyncClient, sim: httpx.AsyncClient, companies: int, within: float) -> float:
    """Wait until every company shows a sync and sync holds its webhook subscriptions; seconds taken."""
    started = time.monotonic()
    progress = Progress("first sync of every company", total=companies)
    while time.monotonic() - started < within:
        rows = await all_rows(api)
        subscriptions = (await sim.get("/stats")).json()["webhooks"]["subscriptions"]
        synced = sum(1 for r in rows if r["last_synced_at"])
        note = (
            f"{subscriptions:,} webhook subscriptions (sync needs {companies * WEBHOOK_SETS_PER_COMPANY:,})"
        )
        if synced == len(rows) == companies and subscriptions >= companies * WEBHOOK_SETS_PER_COMPANY:
            progress.finish(synced, note)
            return time.monotonic() - started
        progress.update(synced, note)
        # Every company's row, read through the gateway and SecantusDB: at 1,000 companies, every 2 s
        # that competed with the aggregator applying the first syncs on the same server.
        await asyncio.sleep(SETTLED_CHECK_SECONDS)
    raise TimeoutError(f"{companies} companies not synced (with webhooks) within {within:g}s")


async def aggregator_lag(bootstrap: str) -> int:
    """Events in the aggregator's topics that its consumer group has not committed yet."""
    kafka = ServiceSettings(kafka_bootstrap_servers=bootstrap)
    ends = await end_offsets(kafka, (COMPANY_RECORDS, COMPANY_SYNC_STATUS, ACCESS_EVENTS))
    return behind(await committed_offsets(kafka, AGGREGATOR_GROUP), ends)


async def caught_up(bootstrap: str, within: float) -> float:
    """Wait until the aggregator has applied everything sync published (lag 0); seconds taken."""
    started = time.monotonic()
    lag: int | str = "unknown"
    progress = Progress("aggregator catching up: events not yet applied")
    while time.monotonic() - started < within:
        try:
            lag = await aggregator_lag(bootstrap)
        except KafkaError as error:  # e.g. the group's coordinator not elected yet
            lag = repr(error)
        if lag == 0:
            progress.finish(0)
            return time.monotonic() - started
        if isinstance(lag, int):
            progress.update(lag)
        await asyncio.sleep(2)
    raise TimeoutError(f"the aggregator still lags ({lag} events) after {within:g}s")
