"""Load for fault tests: random per-company histories published to the real Kafka, and the
aggregator as a separate process (SIGKILL-able) with its own consumer group and database."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from deploy.local.mongo import MongoServer
from deploy.local.processes import ManagedProcess, free_port
from services.aggregator.settings import AggregatorSettings
from services.aggregator.subscribers import CONSUMED
from shared.events import EventBase, HubEvent, encode_event
from shared.records import SalesInvoiceStatus
from shared.settings import ServiceSettings
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


class Brokers(Protocol):
    """A Kafka broker or cluster: where clients bootstrap."""

    @property
    def bootstrap_servers(self) -> str:
        """host:port[,host:port...]."""
        ...


COMPANIES = 60
EVENTS_PER_COMPANY = 120


def company_history(
    rng: random.Random, accountants: list[Any], changes: int = EVENTS_PER_COMPANY
) -> list[tuple[str, HubEvent]]:
    """One company's events in seq order: discovery, grants and revokes, records changing, sync outcomes."""
    company = company_id()
    seq = iter(range(1, 10_000))
    events: list[tuple[str, HubEvent]] = [(COMPANY_RECORDS, company_discovered(company, next(seq)))]
    events += [(ACCESS_EVENTS, granted(company, next(seq), who)) for who in rng.sample(accountants, 2)]
    invoice_ids = [str(uuid.uuid4()) for _ in range(8)]
    for _ in range(changes):
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


def interleaved(
    rng: random.Random, companies: int = COMPANIES, changes: int = EVENTS_PER_COMPANY
) -> list[tuple[str, HubEvent]]:
    """Every company's history, companies shuffled together, each company's own order kept."""
    accountants = [accountant() for _ in range(5)]
    histories = [company_history(rng, accountants, changes) for _ in range(companies)]
    merged: list[tuple[str, HubEvent]] = []
    while histories:
        history = rng.choice(histories)
        merged.append(history.pop(0))
        if not history:
            histories.remove(history)
    return merged


async def publish(kafka: Brokers, events: list[tuple[str, HubEvent]]) -> None:
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

    def __init__(self, kafka: Brokers, mongo: MongoServer, group: str, db: str, log_dir: Path) -> None:
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


async def lag(kafka: Brokers, group: str) -> int:
    """Messages on the consumed topics not yet committed by `group` (-1 while the group is not known yet)."""
    try:
        return await _lag(kafka, group)
    except KafkaError:
        return -1


async def _lag(kafka: Brokers, group: str) -> int:
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


def aggregator_settings(kafka: Brokers, mongo: MongoServer, db: str, group: str) -> AggregatorSettings:
    """The settings of an aggregator (or a replay of it) on these servers."""
    common = ServiceSettings(
        kafka_bootstrap_servers=kafka.bootstrap_servers, mongo_url=mongo.url, mongo_database=db, log_json=True
    )
    return AggregatorSettings(common=common, group_id=group, session_timeout_ms=6000, max_batch=200)


@dataclass
class Published:
    """How many events publish_steadily has had acknowledged so far."""

    count: int = 0


async def publish_steadily(
    kafka: Brokers,
    events: list[tuple[str, HubEvent]],
    retry_seconds: float = 0.5,
    published: Published | None = None,
) -> float:
    """Publish one event at a time, each acknowledged by the broker (acks=all); while the broker is
    unreachable, retry the same event until it is taken. Returns the longest wait for one event;
    `published` counts the events taken as it goes."""
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=5000,
    )
    await _start_with_retries(producer, retry_seconds)
    longest = 0.0
    try:
        for topic, event in events:
            assert isinstance(event, EventBase)
            started = time.monotonic()
            while True:
                try:
                    await producer.send_and_wait(topic, encode_event(event), key=event.company_id.encode())
                    if published is not None:
                        published.count += 1
                    break
                except KafkaError:
                    await asyncio.sleep(retry_seconds)
            longest = max(longest, time.monotonic() - started)
    finally:
        await producer.stop()
    return longest


async def until_published(published: Published, count: int, publishing: asyncio.Task[float]) -> None:
    """Wait until `count` events were taken: a fault test strikes at a point of the load, not after a
    time (a fast machine publishes all of its events in a few seconds)."""
    while published.count < count:
        if publishing.done():
            publishing.result()  # its error, if it failed
            raise AssertionError(f"publishing ended at {published.count} events, before {count}")
        await asyncio.sleep(0.01)


async def _start_with_retries(producer: AIOKafkaProducer, retry_seconds: float) -> None:
    while True:
        try:
            await producer.start()
            return
        except KafkaError:
            await asyncio.sleep(retry_seconds)
