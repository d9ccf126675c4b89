"""Fault tests: servers and services crash under load; every test ends comparing the live
projections with a clean replay of the same topics (`services/aggregator/replay.py`)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.mongo import MongoServer, start_mongo
from deploy.local.stack import SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD, Stack, StackOptions, start_stack
from services.aggregator.compare import compare_projections, describe
from services.aggregator.replay import rebuild
from services.aggregator.settings import AggregatorSettings
from shared.mongo import Document, connect, database
from shared.settings import ServiceSettings
from tests.aggregator_load import lag
from tests.faults.tally import Measured, assert_nothing_lost, measure
from tests.waiting import eventually


@pytest.fixture
def own_mongo(tmp_path: Path) -> Iterator[MongoServer]:
    """A MongoDB server of this test alone, with on-disk storage, that the test may kill."""
    server = start_mongo(tmp_path / "mongo" / "db", log_path=tmp_path / "mongo.log")
    try:
        yield server
    finally:
        server.stop()


async def assert_equal_to_a_clean_replay(
    live: AsyncDatabase[Document], settings: AggregatorSettings, companies: Collection[str]
) -> None:
    """Rebuild the topics into a fresh database and fail naming each company and figure that differ."""
    clean = database(live.client, f"{live.name}_replayed")
    await rebuild(settings, clean.name, within=600)
    replayed = await clean["company_figures"].count_documents({"company_id": {"$in": sorted(companies)}})
    assert replayed == len(companies), "the replay missed companies"
    differences = await compare_projections(live, clean, companies)
    assert differences == [], describe(differences)


FAULT_STACK_ENV = {
    "SYNC_HEARTBEAT_SECONDS": "2",  # a healthy company re-confirms its figures every 2 s
    "SYNC_REQUEST_TIMEOUT_SECONDS": "2",  # a client system slower than this is a failed sync
}


@pytest.fixture
def fault_stack(tmp_path: Path) -> Iterator[Stack]:
    """The whole system as processes (2 clients x 3 companies), for one fault test alone."""
    options = StackOptions(tenants=2, companies_per_tenant=3, partitions=3, service_env=FAULT_STACK_ENV)
    running = start_stack(tmp_path / "stack", options)
    try:
        yield running
    finally:
        running.stop()


async def accountant_client(stack: Stack) -> httpx.AsyncClient:
    """The gateway API signed in as the sample accountant."""
    client = httpx.AsyncClient(base_url=stack.gateway_url, timeout=30)
    response = await client.post(
        "/api/v1/session", json={"email": SAMPLE_ACCOUNTANT, "password": SAMPLE_PASSWORD}
    )
    response.raise_for_status()
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


async def dashboard(api: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """The accountant's rows by company id, every figure column included."""
    response = await api.get("/api/v1/dashboard", params={"limit": 500})
    response.raise_for_status()
    return {row["company_id"]: row for row in response.json()["rows"]}


def figures_of(row: dict[str, Any]) -> dict[str, Any]:
    """A row's figures, without the sync stamps that change on every confirmation."""
    return {k: v for k, v in row.items() if k not in {"last_synced_at", "last_sync_error", "as_of"}}


def stack_aggregator_settings(stack: Stack) -> AggregatorSettings:
    """The settings the stack's aggregator runs with (its database and consumer group)."""
    common = ServiceSettings(
        kafka_bootstrap_servers=stack.kafka.bootstrap_servers,
        mongo_url=stack.mongo.url,
        mongo_database=stack.env["HUB_MONGO_DATABASE"],
        log_json=True,
    )
    return AggregatorSettings(common=common)


async def assert_stack_equal_to_a_clean_replay(stack: Stack) -> Measured:
    """Stop the producers (sync heartbeats would move the topics on), wait until the stack's
    aggregator has consumed everything, then compare it with a replay of the same topics; returns
    what was measured (every event of the topics applied, or the test fails)."""
    for producer in ("sync", "tasks"):
        stack.services[producer].stop()
    settings = stack_aggregator_settings(stack)
    await eventually(lambda: lag(stack.kafka, settings.group_id), lambda behind: behind == 0, within=300)
    client = connect(stack.mongo.url, app_name="tests")
    try:
        live = database(client, settings.common.mongo_database)
        companies = [d["_id"] async for d in live["company_figures"].find({}, {"_id": 1})]
        assert companies, "no company was ever projected: the test proves nothing"
        await assert_equal_to_a_clean_replay(live, settings, companies)
        measured = await measure(stack.kafka, live)
        assert_nothing_lost(measured)
        return measured
    finally:
        await client.close()
