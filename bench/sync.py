"""Refresh-all of 1,000 companies against the BC simulator, and the share of its request budget used.

Everything runs as processes: real Kafka, the MongoDB-wire server, the BC simulator and the sync
service (the other services would only compete for the CPU). The refresh-all is what the gateway
sends for "refresh all": one RefreshRequested per company on sync.commands; it is done when every
company's sync status carrying the round's correlation id is on company.sync-status.

The budget is counted at the simulator: it lists when it admitted each request, per client. A
sliding window of L requests per W seconds admits at most L x (floor(T/W) + 1) requests in T
seconds (a burst at 0, W, 2W, ...), so that is the baseline; the figure is what sync used of it.

Why 2 tenants x 500 companies and a window scaled to 100 requests per 5 s (the simulator's default
6,000 per 300 s, both divided by 60, so the same 20 requests/s per environment): BC's limits are per
environment, so with an accounting firm's usual shape (each client its own tenant, 50 x 20) the
limits allow 1,000 requests/s in total, which this 2-core machine cannot serve; the run would
measure our CPU and say nothing about the use of the budget. With 2 environments the budget (40
requests/s) is what binds, and the scaled window gives ~40 windows per round, so the last,
partly used window (the work ran out) costs little of the share. BENCH_SYNC_TENANTS and
BENCH_SYNC_WINDOW_SCALE change both.

Then the webhook path (bench/sync_webhooks.py): a change in the simulator -> its event in Kafka.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench import sync_webhooks
from bench.progress import Progress
from bench.results import Baseline, Target, record
from bench.sync_webhooks import bench_command, topic_consumer
from deploy.local.bc_simulator import SimulatorSettings
from deploy.local.stack import Stack, StackOptions, start_stack
from shared.commands import RefreshRequested, encode_command, interleaved
from shared.topics import COMPANY_SYNC_STATUS, SYNC_COMMANDS

COMPANIES = 1000
TENANTS = int(os.environ.get("BENCH_SYNC_TENANTS", "2"))
WINDOW_SCALE = int(os.environ.get("BENCH_SYNC_WINDOW_SCALE", "60"))
ROUNDS = int(os.environ.get("BENCH_SYNC_ROUNDS", "3"))
TIMEOUT_SECONDS = 1800.0
_SIM = SimulatorSettings.model_fields
DEFAULT_REQUESTS = int(_SIM["requests_per_window"].default)
DEFAULT_WINDOW = float(_SIM["window_seconds"].default)
DEFAULT_CONCURRENCY = int(_SIM["max_concurrent_requests"].default)
LIMIT, WINDOW = DEFAULT_REQUESTS // WINDOW_SCALE, DEFAULT_WINDOW / WINDOW_SCALE


@dataclass(frozen=True)
class Round:
    """One refresh-all as the simulator saw it."""

    seconds: float
    used: int
    allowed: int
    throttled: int
    failed: int
    max_in_window: int
    per_environment: list[dict[str, Any]]

    @property
    def companies_per_minute(self) -> float:
        """Companies refreshed per minute."""
        return COMPANIES / self.seconds * 60


async def statuses_until(consumer: AIOKafkaConsumer, wanted: int, correlation: str) -> tuple[float, int]:
    """Read company.sync-status until `wanted` companies have a status carrying `correlation`;
    returns the wall-clock time the last one was read and how many of them say the sync failed."""
    outcome: dict[bytes, bool] = {}
    progress = Progress(f"refresh-all ({correlation})", total=wanted)
    async with asyncio.timeout(TIMEOUT_SECONDS):
        while len(outcome) < wanted:
            for messages in (await consumer.getmany(timeout_ms=500, max_records=2000)).values():
                for message in messages:
                    headers = dict(message.headers)
                    if headers.get("correlation_id") == correlation.encode():
                        outcome[message.key or b""] = headers.get("event_type") == b"company_sync.failed"
            progress.update(len(outcome), f"{sum(outcome.values()):,} failed")
    progress.finish(len(outcome), f"{sum(outcome.values()):,} failed")
    return time.time(), sum(outcome.values())


async def refresh_all(stack: Stack, sim: httpx.AsyncClient, company_ids: list[str], n: int) -> Round:
    """Send one RefreshRequested per company, as the gateway does, and wait for every outcome."""
    correlation = f"bench-sync-round-{n}-{uuid.uuid4().hex[:8]}"
    commands = [RefreshRequested(company_id=c, correlation_id=correlation) for c in company_ids]
    before = (await sim.get("/stats")).json()
    consumer = await topic_consumer(stack, COMPANY_SYNC_STATUS)
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        started = time.time()
        sends = [
            await producer.send(SYNC_COMMANDS, encode_command(c), key=c.key.encode(), headers=_headers(c))
            for c in commands
        ]
        await asyncio.gather(*sends)
        finished, failed = await statuses_until(consumer, len(company_ids), correlation)
    finally:
        await producer.stop()
        await consumer.stop()
    after = (await sim.get("/stats")).json()
    admissions = (await sim.get("/stats/admissions")).json()["clients"]
    throttled = after["requestsThrottled"] - before["requestsThrottled"]
    return budget_use(admissions, started, finished, throttled, failed)


def _headers(command: RefreshRequested) -> list[tuple[str, bytes]]:
    return [("event_type", command.event_type.encode()), ("correlation_id", command.correlation_id.encode())]


def budget_use(
    admissions: list[dict[str, Any]], started: float, finished: float, throttled: int, failed: int
) -> Round:
    """Requests admitted per environment in [started, finished] against what the window allows."""
    seconds = finished - started
    allowed_each = LIMIT * (int(seconds // WINDOW) + 1)
    per_environment = []
    for client in admissions:
        times = [t for t in client["admittedAt"] if started <= t <= finished]
        per_environment.append(
            {
                "tenant": client["tenantId"],
                "used": len(times),
                "allowed": allowed_each,
                "max_in_any_window": max_in_window(client["admittedAt"]),
            }
        )
    used = sum(e["used"] for e in per_environment)
    return Round(
        seconds=seconds,
        used=used,
        allowed=allowed_each * len(per_environment),
        throttled=throttled,
        failed=failed,
        max_in_window=max((e["max_in_any_window"] for e in per_environment), default=0),
        per_environment=per_environment,
    )


def max_in_window(times: list[float]) -> int:
    """The most admissions in any window of WINDOW seconds (the simulator evicts t <= now - W)."""
    most, start = 0, 0
    for end, moment in enumerate(times):
        while times[start] <= moment - WINDOW:
            start += 1
        most = max(most, end - start + 1)
    return most


async def measure(stack: Stack) -> tuple[list[Round], int]:
    """A first refresh-all (the warm-up: every company's first, full pull), then ROUNDS measured ones."""
    async with httpx.AsyncClient(base_url=f"{stack.simulator_url}/_simulator", timeout=30) as sim:
        listed = (await sim.get("/companies")).json()
        # In the order the gateway sends a refresh-all: round-robin across the client systems.
        company_ids = [c["companyId"] for c in interleaved(listed, lambda c: str(c["tenantId"]))]
        print(f"warm-up: {await refresh_all(stack, sim, company_ids, -1)}", flush=True)
        rounds = []
        for n in range(ROUNDS):
            await asyncio.sleep(WINDOW + 1)  # an empty window: each round starts with the full budget
            rounds.append(await refresh_all(stack, sim, company_ids, n))
            print(f"round {n}: {rounds[-1]}", flush=True)
        return rounds, len(company_ids)


def options() -> StackOptions:
    """1,000 companies over TENANTS environments; the default limits, the window scaled if asked."""
    limits = {"REQUESTS_PER_WINDOW": str(LIMIT), "WINDOW_SECONDS": str(WINDOW)}
    return StackOptions(
        tenants=TENANTS,
        companies_per_tenant=COMPANIES // TENANTS,
        partitions=6,
        poll_interval_seconds=86_400.0,  # one pass at start (the warm-up), then only refresh commands
        simulator_env={f"BC_SIM_{k}": v for k, v in limits.items()},
        service_env={f"SYNC_{k}": v for k, v in limits.items()} | {"SYNC_WEBHOOK_BASE_URL": ""},
        services=("sync",),
    )


def main() -> None:
    """Run the refresh-all benchmark, record it, then the webhook latency benchmark."""
    work_dir = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    load_before = os.getloadavg()
    stack = start_stack(work_dir, options())
    try:
        rounds, companies = asyncio.run(measure(stack))
    finally:
        stack.stop()
    save(rounds, companies, load_before, os.getloadavg())
    sync_webhooks.main()


def save(
    rounds: list[Round], companies: int, load_before: tuple[float, ...], load_after: tuple[float, ...]
) -> None:
    """Record the median round (by companies per minute)."""
    median = sorted(rounds, key=lambda r: r.companies_per_minute)[len(rounds) // 2]
    share = median.used / median.allowed
    result = record(
        name="sync-refresh-all",
        figure="companies per minute in a refresh-all of 1,000 companies (ratio = request budget share used)",
        value=median.companies_per_minute,
        unit="companies/min",
        baseline=Baseline(
            name="the most the simulator's request budget allows in the same elapsed time",
            value=median.companies_per_minute / share,
        ),
        target=Target(ratio_at_least=0.9),
        details={
            "companies": companies,
            "tenants": TENANTS,
            "companies_per_tenant": companies // TENANTS,
            "seconds": round(median.seconds, 1),
            "requests_used": median.used,
            "requests_allowed": median.allowed,
            "budget_share": round(share, 3),
            "requests_per_company": round(median.used / companies, 2),
            "responses_429": median.throttled,
            "companies_failed": median.failed,
            "max_requests_in_any_window": median.max_in_window,
            "note": (
                "2 environments so that BC's per-environment limit, not this machine's CPU, binds (50 x 20 "
                "would allow 1,000 requests/s); window scaled by 1/60 with the same rate (20 requests/s "
                "each); allowed = limit x (floor(elapsed / window) + 1) per environment"
            ),
            "limits": {
                "per_window": LIMIT,
                "window_s": WINDOW,
                "concurrent": DEFAULT_CONCURRENCY,
                "scaled_from": f"{DEFAULT_REQUESTS} per {DEFAULT_WINDOW:g} s by 1/{WINDOW_SCALE}",
            },
            "rounds": [
                {
                    "seconds": round(r.seconds, 1),
                    "share": round(r.used / r.allowed, 3),
                    "throttled": r.throttled,
                }
                for r in rounds
            ],
            "per_environment": median.per_environment,
            "load_avg_before": [round(x, 2) for x in load_before],
            "load_avg_after": [round(x, 2) for x in load_after],
            "median_of": len(rounds),
            "share_spread": round(statistics.pstdev([r.used / r.allowed for r in rounds]), 3),
        },
        command=bench_command(),
    )
    print(result.model_dump_json(indent=2))
