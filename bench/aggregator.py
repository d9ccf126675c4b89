"""Aggregator throughput: events applied per second by the aggregator process, beside two baselines
from the same run on the same servers: raw aiokafka consumption of the same topic (no processing),
and raw one-document-per-event upserts into the same MongoDB server.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from pymongo import UpdateOne

from bench.results import Baseline, Target, record
from deploy.local.kafka import KafkaServer, start_kafka
from deploy.local.mongo import MongoServer, start_mongo
from deploy.local.processes import ManagedProcess, free_port
from shared.events import AccessGranted, CompanyDiscovered, EventBase, SalesInvoiceChanged, encode_event
from shared.ids import AccountantId, CompanyId
from shared.mongo import connect, database
from shared.records import CompanyProfile, SalesInvoice, SalesInvoiceStatus
from shared.topics import ACCESS_EVENTS, COMPANY_RECORDS, project_topics

EVENTS = int(os.environ.get("BENCH_AGGREGATOR_EVENTS", "100000"))
COMPANIES = int(os.environ.get("BENCH_AGGREGATOR_COMPANIES", "1000"))
RAW_UPSERT_SAMPLE = 5000
PARTITIONS = 6


def workload(rng: random.Random) -> list[tuple[str, EventBase]]:
    """Per company: discovery, a grant, then invoice changes (20 invoices each, changed again and again)."""
    today = datetime.now(UTC).date()
    companies = [CompanyId(str(uuid.UUID(int=rng.getrandbits(128)))) for _ in range(COMPANIES)]
    seqs = dict.fromkeys(companies, 0)
    events: list[tuple[str, EventBase]] = []

    def next_seq(company: CompanyId) -> int:
        seqs[company] += 1
        return seqs[company]

    for company in companies:
        profile = CompanyProfile(client_id="bench", client_name="Bench Client", company_name=company[:8])
        events.append(
            (COMPANY_RECORDS, CompanyDiscovered(company_id=company, seq=next_seq(company), company=profile))
        )
        who = AccountantId("bench@accountant.example")
        events.append(
            (ACCESS_EVENTS, AccessGranted(company_id=company, seq=next_seq(company), accountant_id=who))
        )
    while len(events) < EVENTS:
        company = rng.choice(companies)
        invoice = _invoice(rng, today)
        events.append(
            (COMPANY_RECORDS, SalesInvoiceChanged(company_id=company, seq=next_seq(company), invoice=invoice))
        )
    return events


def _invoice(rng: random.Random, today: date) -> SalesInvoice:
    return SalesInvoice(
        id=f"inv-{rng.randrange(20)}",
        number="S-INV-1",
        due_date=today + timedelta(days=rng.randrange(-30, 30)),
        status=rng.choice([SalesInvoiceStatus.OPEN, SalesInvoiceStatus.PAID]),
        currency=rng.choice(["GBP", "EUR"]),
        total_amount=Decimal("100.00"),
        remaining_amount=Decimal(rng.randrange(0, 10_000)) / 100,
        last_modified_at=datetime.now(UTC),
    )


async def publish(kafka: KafkaServer, events: list[tuple[str, EventBase]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    try:
        for topic, event in events:
            await producer.send(topic, encode_event(event), key=event.company_id.encode())
        await producer.flush()
    finally:
        await producer.stop()


async def raw_consume_rate(kafka: KafkaServer, total: int) -> float:
    """Events/s of a plain aiokafka consumer reading both topics from the start, no processing."""
    consumer = AIOKafkaConsumer(
        COMPANY_RECORDS,
        ACCESS_EVENTS,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=f"raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        seen, started = 0, time.perf_counter()
        while seen < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=1000)
            seen += sum(len(b) for b in batches.values())
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def raw_upsert_rate(mongo: MongoServer, events: list[tuple[str, EventBase]]) -> float:
    """Events/s of one upsert per event (bulk_write of 1,000 at a time), no coalescing, no derivation."""
    client = connect(mongo.url, app_name="bench")
    collection = database(client, f"bench_raw_{uuid.uuid4().hex[:6]}")["raw"]
    sample = [e for _, e in events[-RAW_UPSERT_SAMPLE:]]
    try:
        started = time.perf_counter()
        for start in range(0, len(sample), 1000):
            writes = [
                UpdateOne(
                    {"_id": f"{e.company_id}:{i}"},
                    {"$set": {"seq": e.seq, "body": encode_event(e)}},
                    upsert=True,
                )
                for i, e in enumerate(sample[start : start + 1000], start)
            ]
            await collection.bulk_write(writes, ordered=False)
        return len(sample) / (time.perf_counter() - started)
    finally:
        await client.close()


async def committed_total(kafka: KafkaServer, group: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    except Exception:
        return 0
    finally:
        await admin.close()
    wanted = {COMPANY_RECORDS, ACCESS_EVENTS}
    return sum(o.offset for tp, o in offsets.items() if isinstance(tp, TopicPartition) and tp.topic in wanted)


async def aggregator_rate(
    kafka: KafkaServer, mongo: MongoServer, total: int, work: Path
) -> tuple[float, float]:
    """Events/s of the aggregator process from its first commit to its last, and its start-up seconds."""
    port, group = free_port(), f"bench-{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "HUB_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "HUB_MONGO_URL": mongo.url,
        "HUB_MONGO_DATABASE": f"bench_{group}",
        "AGGREGATOR_GROUP_ID": group,
        "AGGREGATOR_PORT": str(port),
    }
    launched = time.perf_counter()
    process = ManagedProcess.start(
        [sys.executable, "-m", "services.aggregator.main"], work / "aggregator.log", env=env
    )
    try:
        first: float | None = None
        first_done = 0
        while (done := await committed_total(kafka, group)) < total:
            assert process.alive, f"aggregator exited: see {work / 'aggregator.log'}"
            if first is None and done > 0:
                first, first_done = time.perf_counter(), done
            await asyncio.sleep(0.2)
        finished = time.perf_counter()
        assert first is not None
        return (total - first_done) / (finished - first), first - launched
    finally:
        process.stop()


def main() -> None:
    """Run the aggregator benchmark and record it."""
    work = Path(tempfile.mkdtemp(prefix="bench-aggregator-"))
    mongo = start_mongo(work / "mongo", log_path=work / "mongo.log")
    kafka = start_kafka(work / "kafka", project_topics(PARTITIONS))
    try:
        events = workload(random.Random(42))
        asyncio.run(publish(kafka, events))
        consume = asyncio.run(raw_consume_rate(kafka, len(events)))
        upsert = asyncio.run(raw_upsert_rate(mongo, events))
        applied, startup = asyncio.run(aggregator_rate(kafka, mongo, len(events), work))
    finally:
        kafka.stop()
        mongo.stop()
    for name, baseline, target in (
        (
            "aggregator-vs-raw-consume",
            Baseline(name="raw aiokafka consume, same topics", value=consume),
            Target(ratio_at_least=0.5),
        ),
        (
            "aggregator-vs-raw-upserts",
            Baseline(name="raw one-upsert-per-event bulk writes, same server", value=upsert),
            Target(ratio_at_least=1.0),
        ),
    ):
        result = record(
            name=name,
            figure="events applied per second by the aggregator process (real Kafka and MongoDB server)",
            value=applied,
            unit="events/s",
            baseline=baseline,
            target=target,
            details={
                "events": len(events),
                "companies": COMPANIES,
                "partitions": PARTITIONS,
                "startup_s": round(startup, 1),
            },
            command="make bench NAME=aggregator",
        )
        print(result.model_dump_json(indent=2))
