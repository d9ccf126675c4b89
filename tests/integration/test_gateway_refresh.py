"""Refresh jobs through the real broker: one command per company, progress from sync's outcomes,
repeats coalesce, callers are rate limited, and nobody refreshes companies that are not theirs."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from services.gateway.refresh_jobs import Outcome, RefreshJobStore
from shared.events import CompanySyncFailed, CompanySyncSucceeded, EventBase, encode_event
from shared.ids import AccountantId, CompanyId
from shared.mongo import Document
from shared.topics import COMPANY_SYNC_STATUS, SYNC_COMMANDS
from tests.gateway_support import bearer_client, gateway_settings, in_process_gateway, running
from tests.waiting import eventually

pytestmark = pytest.mark.integration
ME, OTHER, PASSWORD = "me@firm.example", "other@elsewhere.example", "correct-horse-battery"


@dataclass
class World:
    """The gateway over my three rows (two clients) and one row of another firm's accountant."""

    mine: httpx.AsyncClient
    theirs: httpx.AsyncClient
    companies: list[str]
    foreign: str
    producer: AIOKafkaProducer


def row(accountant: str, company: str, client: str) -> Document:
    return {
        "_id": f"{accountant}|{company}",
        "accountant_id": accountant,
        "company_id": company,
        "client_name": client,
        "company_name": f"Company {company[:6]}",
    }


@pytest.fixture
async def world(
    kafka_server: KafkaServer, mongo_server: MongoServer, mongo_db: AsyncDatabase[Document]
) -> AsyncIterator[World]:
    companies = sorted(uuid.uuid4().hex for _ in range(3))
    foreign = uuid.uuid4().hex
    await mongo_db["dashboard_rows"].insert_many(
        [row(ME, c, "Alpha" if i < 2 else "Beta") for i, c in enumerate(companies)]
        + [row(OTHER, foreign, "Gamma")]
    )
    settings = gateway_settings(
        mongo_server.url,
        mongo_db.name,
        {ME: PASSWORD, OTHER: PASSWORD},
        kafka_bootstrap_servers=kafka_server.bootstrap_servers,
        progress_group_id=f"progress-{uuid.uuid4().hex[:8]}",
        refresh_jobs_per_minute=3,
    )
    app = in_process_gateway(settings)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_server.bootstrap_servers, acks="all")
    await producer.start()
    async with running(app):
        mine, theirs = await bearer_client(app, ME, PASSWORD), await bearer_client(app, OTHER, PASSWORD)
        try:
            yield World(mine, theirs, companies, foreign, producer)
        finally:
            await mine.aclose()
            await theirs.aclose()
            await producer.stop()


async def commands_for(
    kafka_server: KafkaServer, correlation: str, count: int
) -> list[tuple[bytes, dict[str, str]]]:
    """(key, command) of the `count` commands on sync.commands carrying `correlation`."""
    consumer = AIOKafkaConsumer(
        SYNC_COMMANDS, bootstrap_servers=kafka_server.bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        found: list[tuple[bytes, dict[str, str]]] = []
        async with asyncio.timeout(30):
            while len(found) < count:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        command = json.loads(record.value)
                        if command.get("correlation_id") == correlation:
                            found.append((record.key, command))
        return found
    finally:
        await consumer.stop()


async def answer(producer: AIOKafkaProducer, event: EventBase) -> None:
    await producer.send_and_wait(COMPANY_SYNC_STATUS, encode_event(event), key=event.company_id.encode())


async def test_refresh_all_sends_one_command_per_company_and_reports_progress(
    world: World, kafka_server: KafkaServer
) -> None:
    response = await world.mine.post("/api/v1/refresh", json={"scope": "all"})
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["state"], job["total"], job["pending"]) == ("running", 3, 3)
    assert response.headers["location"] == f"/api/v1/refresh/{job['id']}"
    correlation = f"refresh:{job['id']}"
    sent = await commands_for(kafka_server, correlation, 3)
    assert sorted(key.decode() for key, _ in sent) == world.companies
    assert {c["company_id"] for _, c in sent} == set(world.companies)
    assert {c["event_type"] for _, c in sent} == {"company.refresh_requested"}

    first, second, third = (CompanyId(c) for c in world.companies)
    now = datetime.now(UTC)
    await answer(
        world.producer,
        CompanySyncSucceeded(company_id=first, seq=7, synced_at=now, correlation_id=correlation),
    )
    await answer(
        world.producer,
        CompanySyncFailed(
            company_id=second, seq=9, failed_at=now, reason="token rejected", correlation_id=correlation
        ),
    )
    await answer(
        world.producer, CompanySyncSucceeded(company_id=third, seq=3, synced_at=now)
    )  # a poll's, not ours

    async def progress() -> dict[str, object]:
        body: dict[str, object] = (await world.mine.get(f"/api/v1/refresh/{job['id']}")).json()
        return body

    partial = await eventually(progress, lambda j: j["done"] == 1 and j["failed"] == 1)
    assert (partial["state"], partial["pending"]) == ("running", 1)
    states = {c["company_id"]: (c["state"], c.get("error")) for c in partial["companies"]}  # type: ignore[attr-defined]
    assert states == {first: ("done", None), second: ("failed", "token rejected"), third: ("pending", None)}
    await answer(
        world.producer,
        CompanySyncSucceeded(company_id=third, seq=4, synced_at=now, correlation_id=correlation),
    )
    finished = await eventually(progress, lambda j: j["state"] == "finished")
    assert (finished["done"], finished["failed"], finished["pending"]) == (2, 1, 0)


async def test_an_identical_request_while_running_returns_the_running_job(world: World) -> None:
    body = {"scope": "client", "client": "Alpha"}
    first = (await world.mine.post("/api/v1/refresh", json=body)).json()
    again = await world.mine.post("/api/v1/refresh", json=body)
    assert again.status_code == 202
    assert again.json()["id"] == first["id"]
    assert first["total"] == 2
    other = (
        await world.mine.post(
            "/api/v1/refresh", json={"scope": "company", "company_ids": [world.companies[2]]}
        )
    ).json()
    assert other["id"] != first["id"]


async def test_a_caller_starting_too_many_refreshes_gets_429_with_retry_after(world: World) -> None:
    for company in world.companies:
        response = await world.mine.post(
            "/api/v1/refresh", json={"scope": "company", "company_ids": [company]}
        )
        assert response.status_code == 202
    refused = await world.mine.post("/api/v1/refresh", json={"scope": "all"})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert (await world.theirs.post("/api/v1/refresh", json={"scope": "all"})).status_code == 202


async def test_nobody_refreshes_or_reads_what_is_not_theirs(world: World) -> None:
    refused = await world.theirs.post(
        "/api/v1/refresh", json={"scope": "selected", "company_ids": world.companies[:1]}
    )
    assert refused.status_code == 404
    mixed = await world.mine.post(
        "/api/v1/refresh", json={"scope": "selected", "company_ids": [world.companies[0], world.foreign]}
    )
    assert mixed.status_code == 404
    assert (
        await world.theirs.post("/api/v1/refresh", json={"scope": "client", "client": "Alpha"})
    ).status_code == 404
    job = (await world.mine.post("/api/v1/refresh", json={"scope": "all"})).json()
    assert (await world.theirs.get(f"/api/v1/refresh/{job['id']}")).status_code == 404
    assert job["total"] == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "company"}, "company_ids"),
        ({"scope": "company", "company_ids": ["a", "b"]}, "company_ids"),
        ({"scope": "selected", "company_ids": []}, "company_ids"),
        ({"scope": "client"}, "client"),
        ({"scope": "everything"}, "scope"),
    ],
)
async def test_a_refresh_that_names_nothing_is_a_422_naming_the_field(
    world: World, body: dict[str, object], field: str
) -> None:
    response = await world.mine.post("/api/v1/refresh", json=body)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}


async def test_of_two_jobs_made_for_one_request_at_once_only_one_claims_it(
    mongo_db: AsyncDatabase[Document],
) -> None:
    jobs = RefreshJobStore(mongo_db, timedelta(minutes=10))
    now = datetime.now(UTC)
    rows = [row(ME, c, "Alpha") for c in ("c1", "c2")]
    for job_id in ("first", "second"):  # both requests passed running_identical before either claimed
        await jobs.create(job_id, AccountantId(ME), "client", rows, now)

    claims = await asyncio.gather(
        *(jobs.claim(job_id, AccountantId(ME), "client", ["c1", "c2"], now) for job_id in ("first", "second"))
    )

    winners = [job_id for job_id, holder in zip(("first", "second"), claims, strict=True) if holder is None]
    losers = [holder.id for holder in claims if holder is not None]
    assert len(winners) == 1, claims
    assert losers == winners, "the loser follows the winner's job"


async def test_a_finished_job_gives_up_its_claim_to_the_next_identical_request(
    mongo_db: AsyncDatabase[Document],
) -> None:
    jobs = RefreshJobStore(mongo_db, timedelta(minutes=10))
    now = datetime.now(UTC)
    me = AccountantId(ME)
    await jobs.create("first", me, "company", [row(ME, "c1", "Alpha")], now)
    assert await jobs.claim("first", me, "company", ["c1"], now) is None
    await jobs.create("again", me, "company", [row(ME, "c1", "Alpha")], now)
    assert (await jobs.claim("again", me, "company", ["c1"], now)) == await jobs.get(me, "first", now)

    await jobs.record([Outcome(job_id="first", company_id="c1", failed=False, error=None)], now)
    await jobs.create("later", me, "company", [row(ME, "c1", "Alpha")], now)
    assert await jobs.claim("later", me, "company", ["c1"], now) is None
