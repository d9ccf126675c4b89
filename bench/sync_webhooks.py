"""Webhook -> Kafka: an invoice changed in the BC simulator -> its change event on company.records.

Processes: real Kafka, the MongoDB-wire server, the simulator and the sync service, with sync's
poll set to ten minutes so that only the webhook path can deliver within the measurement. The
simulator batches notifications as BC does (BC: ~30 s); here its delay is set low
(NOTIFICATION_DELAY_S) so the figure is sync's own part of the path, and the delay is recorded.
Baseline, same run, same broker: a raw Kafka round trip (acks=all produce -> consume).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.freshness import kafka_round_trips, pick_target
from bench.results import Baseline, Target, percentile, record
from deploy.local.stack import Stack, StackOptions, start_stack
from shared.dates import company_today
from shared.events import SalesInvoiceChanged, decode_event
from shared.topics import COMPANY_RECORDS, COMPANY_SYNC_STATUS

CHANGES = int(os.environ.get("BENCH_SYNC_WEBHOOK_CHANGES", "200"))
NOTIFICATION_DELAY_S = 0.05
TIMEOUT_SECONDS = 60.0


def bench_command() -> str:
    """How this run was started, with any BENCH_SYNC_* override."""
    overrides = " ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("BENCH_SYNC_"))
    return f"{overrides} make bench NAME=sync".strip()


async def topic_consumer(stack: Stack, topic: str, *, from_start: bool = False) -> AIOKafkaConsumer:
    """A consumer (no group) of every partition of `topic`, at its start or its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka.bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    partitions = [TopicPartition(topic, p) for p in range(int(stack.env["HUB_KAFKA_PARTITIONS"]))]
    consumer.assign(partitions)
    if from_start:
        await consumer.seek_to_beginning(*partitions)
        return consumer
    await consumer.seek_to_end(*partitions)
    for partition in partitions:
        await consumer.position(partition)  # pin the end now, before the change is made
    return consumer


async def wait_for_invoice(consumer: AIOKafkaConsumer, invoice_id: str, due: str) -> None:
    """Read company.records until the invoice's change event carries the new due date."""
    async with asyncio.timeout(TIMEOUT_SECONDS):
        while True:
            for messages in (await consumer.getmany(timeout_ms=200)).values():
                for message in messages:
                    if dict(message.headers).get("event_type") != b"sales_invoice.changed":
                        continue
                    event = decode_event(message.value or b"")
                    if _is_change(event, invoice_id, due):
                        return


def _is_change(event: object, invoice_id: str, due: str) -> bool:
    if not isinstance(event, SalesInvoiceChanged) or event.invoice.id != invoice_id:
        return False
    return event.invoice.due_date is not None and event.invoice.due_date.isoformat() == due


async def ready(stack: Stack, sim: httpx.AsyncClient, companies: int) -> None:
    """Every company synced once and its subscriptions created (so changes are notified)."""
    status = await topic_consumer(stack, COMPANY_SYNC_STATUS, from_start=True)
    seen: set[bytes] = set()
    async with asyncio.timeout(120):
        while len(seen) < companies:
            for messages in (await status.getmany(timeout_ms=500)).values():
                seen.update(m.key or b"" for m in messages)
        while (await sim.get("/stats")).json()["webhooks"]["subscriptions"] < companies * 6:  # noqa: ASYNC110 - polling the simulator
            await asyncio.sleep(0.5)
    await status.stop()


async def measure(stack: Stack, count: int) -> list[float]:
    """Milliseconds from a PATCH of an invoice's due date to its change event on company.records."""
    async with httpx.AsyncClient(base_url=f"{stack.simulator_url}/_simulator", timeout=10) as sim:
        listed = (await sim.get("/companies")).json()
        await ready(stack, sim, len(listed))
        targets = [await pick_target(company) for company in listed]
        consumer = await topic_consumer(stack, COMPANY_RECORDS)
        samples: list[float] = []
        try:
            for n in range(count):
                company_id, invoice_id, zone = targets[n % len(targets)]
                due = (company_today(zone, datetime.now(UTC)) + timedelta(days=20 + n)).isoformat()
                start = time.perf_counter()
                path = f"/companies/{company_id}/salesInvoices/{invoice_id}"
                (await sim.patch(path, json={"dueDate": due})).raise_for_status()
                await wait_for_invoice(consumer, invoice_id, due)
                samples.append((time.perf_counter() - start) * 1000)
        finally:
            await consumer.stop()
        return samples


def main() -> None:
    """Run the webhook latency benchmark and record it."""
    work_dir = Path(tempfile.mkdtemp(prefix="bench-sync-webhooks-"))
    options = StackOptions(
        tenants=2,
        companies_per_tenant=2,
        poll_interval_seconds=600.0,
        simulator_env={"BC_SIM_NOTIFICATION_DELAY_SECONDS": str(NOTIFICATION_DELAY_S)},
        services=("sync",),
    )
    load_before = os.getloadavg()
    stack = start_stack(work_dir, options)
    try:
        samples = asyncio.run(measure(stack, CHANGES))
        baseline = asyncio.run(kafka_round_trips(stack.kafka.bootstrap_servers, CHANGES))
    finally:
        stack.stop()
    p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
    result = record(
        name="sync-webhook-to-kafka",
        figure="p50 ms from an invoice changed in the BC simulator to its change event in Kafka (webhooks)",
        value=p50,
        unit="ms",
        baseline=Baseline(
            name="raw Kafka round trip p50 (acks=all produce -> consume), same broker",
            value=percentile(baseline, 0.5),
        ),
        target=Target(value_at_most=1000.0),
        details={
            "changes": len(samples),
            "p50_ms": round(p50, 1),
            "p99_ms": round(p99, 1),
            "max_ms": round(max(samples), 1),
            "baseline_p99_ms": round(percentile(baseline, 0.99), 1),
            "notification_delay_s": NOTIFICATION_DELAY_S,
            "note": (
                "the simulator's notification batching delay is set to 0.05 s (BC batches ~30 s, which would "
                "add ~30 s to every sample); sync polls every 600 s, so only the webhook path delivers"
            ),
            "companies": options.tenants * options.companies_per_tenant,
            "load_avg_before": [round(x, 2) for x in load_before],
            "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        },
        command=bench_command(),
    )
    print(result.model_dump_json(indent=2))
