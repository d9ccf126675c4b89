"""A crash at any point changes nothing: the aggregator process is SIGKILLed again and again under
load, restarted each time, and its projections end equal to those of one clean run over the same topics."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from deploy.local.processes import ManagedProcess, free_port
from services.aggregator.subscribers import CONSUMED
from shared.events import EventBase, HubEvent, encode_event
from shared.ids import CompanyId
from shared.mongo import Document, database
from shared.records import SalesInvoiceStatus
from shared.topics import ACCESS_EVENTS, COMPANY_RECORDS, COMPANY_SYNC_STATUS
from tests.builders import (
    account_changed,
    accountant,
    aged_balance,
    aged_payables_reported,
    company_discovered,
    company_id,
    granted,
    purchase_invoice_changed,
    revoked,
    sales_document_changed,
    sales_invoice_changed,
    sync_failed,
    sync_succeeded,
)
from tests.waiting import eventually

pytestmark = pytest.mark.integration
COMPANIES = 60
EVENTS_PER_COMPANY = 120
KILLS = 10
PROJECTIONS = ("company_figures", "dashboard_rows")


def company_history(rng: random.Random, accountants: list[Any]) -> list[tuple[str, HubEvent]]:
    """One company's events in seq order: discovery, grants and revokes, records changing, sync outcomes."""
    company = company_id()
    seq = iter(range(1, 10_000))
    events: list[tuple[str, HubEvent]] = [(COMPANY_RECORDS, company_discovered(company, next(seq)))]
    events += [(ACCESS_EVENTS, granted(company, next(seq), who)) for who in rng.sample(accountants, 2)]
    invoice_ids = [str(uuid.uuid4()) for _ in range(8)]
    for _ in range(EVENTS_PER_COMPANY):
        events.append(random_change(rng, company, next(seq), invoice_ids, accountants))
    return events


def random_change(
    rng: random.Random, company: Any, seq: int, invoice_ids: list[str], accountants: list[Any]
) -> tuple[str, HubEvent]:
    roll = rng.random()
    amount = Decimal(rng.randrange(1, 100_000)) / 100
    if roll < 0.5:
        status = rng.choice([SalesInvoiceStatus.OPEN, SalesInvoiceStatus.PAID, SalesInvoiceStatus.DRAFT])
        currency = rng.choice(["GBP", "EUR"])
        event = sales_invoice_changed(
            company,
            seq,
            id=rng.choice(invoice_ids),
            status=status,
            remaining_amount=amount,
            currency=currency,
        )
        return COMPANY_RECORDS, event
    if roll < 0.65:
        return COMPANY_RECORDS, purchase_invoice_changed(
            company, seq, id=rng.choice(invoice_ids), total_amount=amount
        )
    if roll < 0.75:
        return COMPANY_RECORDS, sales_document_changed(company, seq, rng.choice(["quote", "order"]))
    if roll < 0.85:
        return COMPANY_RECORDS, account_changed(company, seq, id=f"cash-{rng.randrange(2)}", balance=amount)
    if roll < 0.9:
        return COMPANY_RECORDS, aged_payables_reported(company, seq, aged_balance(balance_due=amount))
    if roll < 0.93:
        return COMPANY_SYNC_STATUS, sync_succeeded(company, seq)
    if roll < 0.97:
        return COMPANY_SYNC_STATUS, sync_failed(company, seq)
    if roll < 0.985:
        return ACCESS_EVENTS, granted(company, seq, rng.choice(accountants))
    return ACCESS_EVENTS, revoked(company, seq, rng.choice(accountants))


def interleaved(rng: random.Random) -> list[tuple[str, HubEvent]]:
    """Every company's history, companies shuffled together, each company's own order kept."""
    accountants = [accountant() for _ in range(5)]
    histories = [company_history(rng, accountants) for _ in range(COMPANIES)]
    merged: list[tuple[str, HubEvent]] = []
    while histories:
        history = rng.choice(histories)
        merged.append(history.pop(0))
        if not history:
            histories.remove(history)
    return merged


async def publish(kafka: KafkaServer, events: list[tuple[str, HubEvent]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        for topic, event in events:
            assert isinstance(event, EventBase)
            await producer.send(topic, encode_event(event), key=event.company_id.encode())
        await producer.flush()
    finally:
        await producer.stop()


class AggregatorProcess:
    """The aggregator as a separate process with its own consumer group and database."""

    def __init__(self, kafka: KafkaServer, mongo: MongoServer, group: str, db: str, log_dir: Path) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "HUB_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "HUB_MONGO_URL": mongo.url,
            "HUB_MONGO_DATABASE": db,
            "AGGREGATOR_GROUP_ID": group,
            "AGGREGATOR_PORT": str(self.port),
            "AGGREGATOR_MAX_BATCH": "200",
            # A killed member holds its partitions until this runs out: the shortest Kafka allows.
            "AGGREGATOR_SESSION_TIMEOUT_MS": "6000",  # the broker's group.min.session.timeout.ms
        }
        self.log = log_dir / f"{group}.log"
        self.process: ManagedProcess | None = None

    def start(self) -> None:
        self.process = ManagedProcess.start(
            [sys.executable, "-m", "services.aggregator.main"], self.log, env=self.env
        )

    async def ready(self) -> bool:
        """The process answers its readiness probe (Kafka and MongoDB reachable, consumer started)."""
        assert self.process is not None
        assert self.process.alive, f"aggregator exited; see {self.log}"
        async with httpx.AsyncClient(timeout=1) as http:
            try:
                return (await http.get(f"http://127.0.0.1:{self.port}/health/ready")).status_code == 200
            except httpx.HTTPError:
                return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


@pytest.fixture
def processes() -> Iterator[list[AggregatorProcess]]:
    started: list[AggregatorProcess] = []
    try:
        yield started
    finally:
        for process in started:
            process.stop()


async def lag(kafka: KafkaServer, group: str) -> int:
    """Messages on the consumed topics not yet committed by `group` (-1 while the group is not known yet)."""
    try:
        return await _lag(kafka, group)
    except KafkaError:
        return -1


async def _lag(kafka: KafkaServer, group: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        described = await admin.describe_topics(list(CONSUMED))
    finally:
        await admin.close()
    partitions = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    if not partitions or not committed:
        return -1
    return sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())


async def projections(db: AsyncDatabase[Document], companies: set[CompanyId]) -> dict[str, list[Document]]:
    return {
        name: await db[name].find({"company_id": {"$in": sorted(companies)}}).sort("_id", 1).to_list()
        for name in PROJECTIONS
    }


def first_difference(crashed: dict[str, list[Document]], clean: dict[str, list[Document]]) -> str:
    for name in PROJECTIONS:
        left = {d["_id"]: d for d in crashed[name]}
        right = {d["_id"]: d for d in clean[name]}
        for key in sorted(left.keys() | right.keys()):
            a, b = left.get(key), right.get(key)
            if a != b:
                fields = sorted(
                    f for f in (a or {}).keys() | (b or {}).keys() if (a or {}).get(f) != (b or {}).get(f)
                )
                return f"{name} {key}: fields {fields} differ (after crashes: {a}, clean: {b})"
    return "none"


async def test_sigkilled_aggregator_ends_equal_to_a_clean_replay(
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    mongo_db: AsyncDatabase[Document],
    processes: list[AggregatorProcess],
    tmp_path: Path,
) -> None:
    rng = random.Random(20261125)
    events = interleaved(rng)
    companies = {event.company_id for _, event in events}
    crashed_db, clean_db = f"{mongo_db.name}_crashed", f"{mongo_db.name}_clean"
    group = f"crash-{uuid.uuid4().hex[:6]}"
    crashing = AggregatorProcess(kafka_server, mongo_server, group, crashed_db, tmp_path)
    processes.append(crashing)
    crashing.start()

    chunk = -(-len(events) // KILLS)
    for start in range(0, len(events), chunk):
        await publish(kafka_server, events[start : start + chunk])
        await eventually(crashing.ready, bool, within=60)
        await asyncio.sleep(rng.uniform(0.1, 1.5))  # a random moment while it works through the chunk
        crashing.kill()
        crashing.start()
    await eventually(lambda: lag(kafka_server, group), lambda behind: behind == 0, within=180)

    clean = AggregatorProcess(kafka_server, mongo_server, f"clean-{uuid.uuid4().hex[:6]}", clean_db, tmp_path)
    processes.append(clean)
    clean.start()
    await eventually(lambda: lag(kafka_server, clean_group(clean)), lambda behind: behind == 0, within=180)

    client = mongo_db.client
    after_crashes = await projections(database(client, crashed_db), companies)
    after_clean = await projections(database(client, clean_db), companies)
    assert len(after_clean["company_figures"]) == len(companies)
    assert after_clean["dashboard_rows"], "no accountant kept access to any company: the run proves nothing"
    assert after_crashes == after_clean, first_difference(after_crashes, after_clean)


def clean_group(process: AggregatorProcess) -> str:
    return process.env["AGGREGATOR_GROUP_ID"]
