"""Gateway read capacity: dashboard requests per second from concurrent readers through the gateway
process, beside the raw driver query for the same rows on the same MongoDB server in the same run."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import httpx

from bench.results import Baseline, Target, percentile, record
from deploy.local.mongo import MongoServer, start_mongo
from deploy.local.processes import ManagedProcess, free_port, wait_until
from services.aggregator.repository import DASHBOARD_ORDER
from services.gateway.dashboard_query import DEFAULT_SORT, sort_spec
from shared.mongo import connect, database

READERS = int(os.environ.get("BENCH_GATEWAY_READERS", "50"))
SECONDS = float(os.environ.get("BENCH_GATEWAY_SECONDS", "15"))
COMPANIES = 200
ACCOUNTANT = "bench@accountant.example"
PASSWORD = "bench-password"  # noqa: S105 - a throwaway benchmark account
DB = "bench_gateway"


async def seed_rows(mongo: MongoServer) -> None:
    """An accountant with COMPANIES dashboard rows, shaped as the aggregator writes them."""
    client = connect(mongo.url, app_name="bench")
    rows = database(client, DB)["dashboard_rows"]
    await rows.create_index(DASHBOARD_ORDER)  # the aggregator's index (services/aggregator/repository.py)
    docs = [
        {
            "_id": f"{ACCOUNTANT}|company-{n:04d}",
            "accountant_id": ACCOUNTANT,
            "company_id": f"company-{n:04d}",
            "client_name": f"Client {n // 5:03d}",
            "company_name": f"Company {n:04d}",
            "as_of": "2026-11-25",
            "overdue_sales": [{"currency": "GBP", "amount": Decimal("1234.56"), "count": 3}],
            "overdue_sales_count": 3,
            "last_synced_at": None,
            "last_sync_error": None,
            "web_url": None,
        }
        for n in range(COMPANIES)
    ]
    await rows.insert_many(docs)
    await client.close()


async def raw_reads(mongo: MongoServer) -> list[float]:
    """Latencies (ms) of the query the gateway runs, straight through the driver, same concurrency."""
    client = connect(mongo.url, app_name="bench")
    rows = database(client, DB)["dashboard_rows"]

    async def one() -> None:
        await rows.find({"accountant_id": ACCOUNTANT}).sort(sort_spec(DEFAULT_SORT)).limit(101).to_list()

    try:
        return await _load(one)
    finally:
        await client.close()


async def gateway_reads(base_url: str) -> list[float]:
    """Latencies (ms) of GET /api/v1/dashboard?limit=100 as the signed-in accountant."""
    async with httpx.AsyncClient(
        base_url=base_url, timeout=30, limits=httpx.Limits(max_connections=READERS)
    ) as http:
        token = (await http.post("/api/v1/session", json={"email": ACCOUNTANT, "password": PASSWORD})).json()[
            "token"
        ]
        headers = {"Authorization": f"Bearer {token}"}

        async def one() -> None:
            (await http.get("/api/v1/dashboard", params={"limit": 100}, headers=headers)).raise_for_status()

        return await _load(one)


async def _load(one: Callable[[], Awaitable[None]]) -> list[float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + SECONDS

    async def reader() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await one()
            latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(reader() for _ in range(READERS)))
    return latencies


def main() -> None:
    """Run the gateway benchmark and record it."""
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    mongo = start_mongo(work / "mongo", log_path=work / "mongo.log")
    port = free_port()
    env = {
        **os.environ,
        "HUB_MONGO_URL": mongo.url,
        "HUB_MONGO_DATABASE": DB,
        "GATEWAY_PORT": str(port),
        "GATEWAY_SECURE_COOKIES": "false",
        "GATEWAY_KAFKA_ENABLED": "false",  # a read benchmark: no refresh, no grants, no Kafka
        "GATEWAY_SEED_ACCOUNTS": f'[{{"email": "{ACCOUNTANT}", "password": "{PASSWORD}"}}]',
    }
    gateway = ManagedProcess.start(
        [sys.executable, "-m", "services.gateway.main"], work / "gateway.log", env=env
    )
    try:
        asyncio.run(seed_rows(mongo))
        wait_until(lambda: _ready(port), 60, "gateway ready", process=gateway)
        raw = asyncio.run(raw_reads(mongo))
        through = asyncio.run(gateway_reads(f"http://127.0.0.1:{port}"))
    finally:
        gateway.stop()
        mongo.stop()
    raw_rate, rate = len(raw) / SECONDS, len(through) / SECONDS
    result = record(
        name="gateway-dashboard-reads",
        figure=f"dashboard requests/s, {READERS} concurrent readers, 100 rows a page, one gateway process",
        value=rate,
        unit="requests/s",
        baseline=Baseline(
            name="the same query straight through the driver, same concurrency", value=raw_rate
        ),
        target=Target(ratio_at_least=0.5),
        details={
            "readers": READERS,
            "seconds": SECONDS,
            "p50_ms": round(statistics.median(through), 1),
            "p99_ms": round(percentile(through, 0.99), 1),
            "baseline_p50_ms": round(statistics.median(raw), 1),
            "baseline_p99_ms": round(percentile(raw, 0.99), 1),
        },
        command="make bench NAME=gateway",
    )
    print(result.model_dump_json(indent=2))


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
