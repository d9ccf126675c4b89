"""Freshness of the thin slice: a changed invoice in the client's books -> the changed figure in the API.

Everything runs as processes (real Kafka, the MongoDB-wire server, the BC stand-in, four services).
Baseline, same run, same broker: a raw Kafka round trip (produce with acks=all -> consume).
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.results import Baseline, Target, percentile, record
from deploy.local.bc_simulator.client import read_sales_invoices
from deploy.local.stack import SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD, Stack, StackOptions, start_stack
from shared.dates import company_today

CHANGES = int(os.environ.get("BENCH_FRESHNESS_CHANGES", "300"))
GATEWAY_POLL_SECONDS = 0.02
SYNC_POLL_SECONDS = 0.5
TIMEOUT_SECONDS = 30.0


async def kafka_round_trips(bootstrap: str, count: int) -> list[float]:
    """Milliseconds from send (acks=all) to receipt by a consumer, one message at a time."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=f"bench-{uuid.uuid4().hex[:6]}")
    await producer.start()
    await consumer.start()
    try:
        await producer.send_and_wait("sync.commands.dlq", b"warm-up")
        consumer.subscribe(["sync.commands.dlq"])
        await consumer.getmany(timeout_ms=2000)
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            await producer.send_and_wait("sync.commands.dlq", uuid.uuid4().bytes)
            while not await consumer.getmany(timeout_ms=1000):
                pass
            samples.append((time.perf_counter() - start) * 1000)
        return samples
    finally:
        await consumer.stop()
        await producer.stop()


async def overdue_count(api: httpx.AsyncClient, company_id: str) -> int:
    rows = (await api.get("/api/v1/dashboard", params={"limit": 500})).json()["rows"]
    return next((int(r["overdue_sales_count"]) for r in rows if r["company_id"] == company_id), -1)


async def wait_for_count(api: httpx.AsyncClient, company_id: str, wanted: int) -> None:
    async with asyncio.timeout(TIMEOUT_SECONDS):
        while await overdue_count(api, company_id) != wanted:  # noqa: ASYNC110 - polling is the measurement
            await asyncio.sleep(GATEWAY_POLL_SECONDS)


async def measure_changes(stack: Stack, count: int) -> list[float]:
    """Milliseconds from a due date changed in the BC stand-in to the new overdue count in the API."""
    async with (
        httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as api,
        httpx.AsyncClient(base_url=f"{stack.simulator_url}/_simulator", timeout=10) as sim,
    ):
        session = await api.post(
            "/api/v1/session", json={"email": SAMPLE_ACCOUNTANT, "password": SAMPLE_PASSWORD}
        )
        api.headers["Authorization"] = f"Bearer {session.json()['token']}"
        targets = [await pick_target(company) for company in (await sim.get("/companies")).json()]
        for company_id, _, _ in targets:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                while await overdue_count(api, company_id) < 0:  # noqa: ASYNC110 - waiting for first sync
                    await asyncio.sleep(0.2)
        samples: list[float] = []
        dephase = random.Random(7)
        for n in range(count):
            # A change lands at a random moment of sync's poll cycle, not just after a pass.
            await asyncio.sleep(dephase.uniform(0, SYNC_POLL_SECONDS))
            company_id, invoice_id, zone = targets[n % len(targets)]
            before = await overdue_count(api, company_id)
            today = company_today(zone, datetime.now(UTC))
            overdue_now = (n // len(targets)) % 2 == 0
            due = today - timedelta(days=1) if overdue_now else today + timedelta(days=10)
            start = time.perf_counter()
            path = f"/companies/{company_id}/salesInvoices/{invoice_id}"
            (await sim.patch(path, json={"dueDate": due.isoformat()})).raise_for_status()
            await wait_for_count(api, company_id, before + (1 if overdue_now else -1))
            samples.append((time.perf_counter() - start) * 1000)
        return samples


async def pick_target(company: dict[str, Any]) -> tuple[str, str, str]:
    """An Open invoice with something left to pay, not yet due, to move across the due line."""
    invoices = await read_sales_invoices(company)
    today = company_today(company["timeZone"], datetime.now(UTC)).isoformat()
    invoice = next(
        i for i in invoices if i["status"] == "Open" and i["remainingAmount"] > 0 and i["dueDate"] > today
    )
    return company["companyId"], invoice["id"], company["timeZone"]


def main() -> None:
    """Run the freshness benchmark and record it."""
    work_dir = Path(tempfile.mkdtemp(prefix="bench-freshness-"))
    options = StackOptions(
        tenants=2, companies_per_tenant=2, partitions=6, poll_interval_seconds=SYNC_POLL_SECONDS
    )
    stack = start_stack(work_dir, options)
    try:
        changes = asyncio.run(measure_changes(stack, CHANGES))
        baseline = asyncio.run(kafka_round_trips(stack.kafka.bootstrap_servers, CHANGES))
    finally:
        stack.stop()
    p50, p99 = percentile(changes, 0.5), percentile(changes, 0.99)
    base_p50 = percentile(baseline, 0.5)
    result = record(
        name="freshness-thin-slice",
        figure="p50 ms from an invoice changed in the BC stand-in to the new figure in the gateway API",
        value=p50,
        unit="ms",
        baseline=Baseline(
            name="raw Kafka round trip p50 (acks=all produce -> consume), same broker", value=base_p50
        ),
        target=Target(value_at_most=1000.0),
        details={
            "changes": len(changes),
            "p50_ms": round(p50, 1),
            "p99_ms": round(p99, 1),
            "max_ms": round(max(changes), 1),
            "baseline_p99_ms": round(percentile(baseline, 0.99), 1),
            "sync_poll_interval_s": options.poll_interval_seconds,
            "gateway_poll_interval_s": GATEWAY_POLL_SECONDS,
            "companies": options.tenants * options.companies_per_tenant,
            "note": (
                "sync subscribes to the stand-in's webhooks, but it notifies after 30 s as Business "
                "Central does, so each change is found by a poll: about half the poll interval is the floor"
            ),
        },
        command="make bench NAME=freshness",
    )
    print(result.model_dump_json(indent=2))
