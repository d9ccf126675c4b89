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

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from pymongo import UpdateOne

from bench.freshness import kafka_round_trips
from bench.results import Baseline, Target, percentile, record
from deploy.local.kafka import KafkaServer, start_kafka
from deploy.local.mongo import MongoServer, start_mongo
from deploy.local.processes import ManagedProcess, free_port
from shared.events import AccessGranted, CompanyDiscovered, EventBase, SalesInvoiceChanged, encode_event
from shared.ids import AccountantId, CompanyId, row_id
from shared.mongo import Document, connect, database
from shared.records import CompanyProfile, SalesInvoice, SalesInvoiceStatus
from shared.topics import ACCESS_EVENTS, COMPANY_RECORDS, project_topics

EVENTS = int(os.environ.get("BENCH_AGGREGATOR_EVENTS", "100000"))
COMPANIES = int(os.environ.get("BENCH_AGGREGATOR_COMPANIES", "1000"))
RAW_UPSERT_SAMPLE = 5000
PARTITIONS = 6
LATENCY_PROBES = int(os.environ.get("BENCH_AGGREGATOR_PROBES", "300"))
BENCH_ACCOUNTANT = AccountantId("bench@accountant.example")
PROBE_CURRENCY = "USD"  # the workload uses GBP and EUR only, so a probe's figure is unmistakable


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
        who = BENCH_ACCOUNTANT
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


async def event_to_row_latencies(
    kafka: KafkaServer, mongo: MongoServer, db_name: str, companies: list[CompanyId]
) -> list[float]:
    """Milliseconds from an invoice event sent (acks=all) to the accountant's row showing it, one at a time.

    Each probe makes a USD invoice overdue with a unique amount in a random company, then reads the
    row straight from MongoDB until the amount is there.
    """
    rng = random.Random(7)
    client = connect(mongo.url, app_name="bench-probe")
    rows = database(client, db_name)["dashboard_rows"]
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    samples: list[float] = []
    try:
        for probe in range(LATENCY_PROBES):
            company = rng.choice(companies)
            amount = Decimal(probe + 1) / 100 + Decimal(1000)
            invoice = SalesInvoice(
                id="latency-probe",
                number="S-PROBE",
                due_date=datetime.now(UTC).date() - timedelta(days=3),
                status=SalesInvoiceStatus.OPEN,
                currency=PROBE_CURRENCY,
                total_amount=amount,
                remaining_amount=amount,
                last_modified_at=datetime.now(UTC),
            )
            event = SalesInvoiceChanged(company_id=company, seq=10_000_000 + probe, invoice=invoice)
            started = time.perf_counter()
            await producer.send_and_wait(COMPANY_RECORDS, encode_event(event), key=company.encode())
            while not _shows(await rows.find_one({"_id": row_id(BENCH_ACCOUNTANT, company)}), amount):
                assert time.perf_counter() - started < 30, f"probe {probe} never reached its row"
                await asyncio.sleep(0.002)
            samples.append((time.perf_counter() - started) * 1000)
        return samples
    finally:
        await producer.stop()
        await client.close()


def _shows(row: Document | None, amount: Decimal) -> bool:
    overdue: list[Document] = row.get("overdue_sales", []) if row else []
    return any(t["currency"] == PROBE_CURRENCY and t["amount"] == amount for t in overdue)


async def aggregator_rate(
    kafka: KafkaServer, mongo: MongoServer, total: int, work: Path, companies: list[CompanyId]
) -> tuple[float, float, list[float], dict[str, float]]:
    """Events/s of the aggregator process from its first commit to its last, its start-up seconds,
    then, caught up, the event-to-row latencies of single events, and its batch sizes."""
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
        batches = await batch_sizes(port)
        latencies = await event_to_row_latencies(kafka, mongo, f"bench_{group}", companies)
        return (total - first_done) / (finished - first), first - launched, latencies, batches
    finally:
        process.stop()


async def batch_sizes(port: int) -> dict[str, float]:
    """How many batches the aggregator took and their mean size, from its `hub_batch_events` metric."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    samples = dict(
        line.split(" ", 1)
        for line in text.splitlines()
        if line.startswith(("hub_batch_events_sum", "hub_batch_events_count"))
    )
    count = float(samples.get("hub_batch_events_count", "0"))
    total = float(samples.get("hub_batch_events_sum", "0"))
    return {"batches": count, "mean_records_per_batch": round(total / count, 1) if count else 0.0}


def main() -> None:
    """Run the aggregator benchmark and record it."""
    work = Path(tempfile.mkdtemp(prefix="bench-aggregator-"))
    mongo = start_mongo(work / "mongo", log_path=work / "mongo.log")
    kafka = start_kafka(work / "kafka", project_topics(PARTITIONS))
    try:
        events = workload(random.Random(42))
        asyncio.run(publish(kafka, events))
        consume = asyncio.run(raw_consume_rate(kafka, len(events)))
        load_before = os.getloadavg()
        upsert_before = asyncio.run(raw_upsert_rate(mongo, events))
        companies = sorted({e.company_id for _, e in events})
        applied, startup, latencies, batches = asyncio.run(
            aggregator_rate(kafka, mongo, len(events), work, companies)
        )
        # measured on both sides of the aggregator's run, so a load change on the machine meets both
        upsert_after = asyncio.run(raw_upsert_rate(mongo, events))
        upsert = (upsert_before + upsert_after) / 2
        load_after = os.getloadavg()
        round_trips = asyncio.run(kafka_round_trips(kafka.bootstrap_servers, LATENCY_PROBES))
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
            Baseline(
                name="raw one-upsert-per-event bulk writes, same server (mean of before and after)",
                value=upsert,
            ),
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
                "max_batch": os.environ.get("AGGREGATOR_MAX_BATCH", "default"),
                "batches": batches,
                "raw_upserts_per_second": {
                    "before": round(upsert_before, 1),
                    "after": round(upsert_after, 1),
                },
                "load_before": [round(x, 2) for x in load_before],
                "load_after": [round(x, 2) for x in load_after],
            },
            command="make bench NAME=aggregator",
        )
        print(result.model_dump_json(indent=2))
    result = record(
        name="aggregator-event-to-row",
        figure="p99 ms from one event sent (acks=all) to the accountant's row showing it (caught up)",
        value=percentile(latencies, 0.99),
        unit="ms",
        baseline=Baseline(
            name="raw Kafka round trip p99 (acks=all produce -> consume), same broker",
            value=percentile(round_trips, 0.99),
        ),
        target=Target(value_at_most=1000.0),
        details={
            "probes": len(latencies),
            "p50_ms": round(percentile(latencies, 0.5), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1),
            "kafka_round_trip_p50_ms": round(percentile(round_trips, 0.5), 2),
            "read_by": "polling the row in MongoDB every 2 ms",
        },
        command="make bench NAME=aggregator",
    )
    print(result.model_dump_json(indent=2))
