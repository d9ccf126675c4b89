"""Mixed load: 50 dashboard readers while a refresh-all of every company (1,000 by default) runs.

Everything runs as processes (real Kafka, the MongoDB-wire server, the BC simulator, four services).
The readers sign in and page `GET /api/v1/dashboard?limit=100` through the gateway, as the web page
does; the refresh is the accountant's: `POST /api/v1/refresh {"scope": "all"}`, then
`GET /api/v1/refresh/{id}` until the job is finished.

Baselines, same run, same stack: the readers' p99 with no refresh running, and the same refresh-all
with no readers (not the simulator's request budget: a refresh-all asks for far less
than the 6,000 requests per 5 minutes each tenant allows, so the budget puts no floor under it;
what bounds it is the simulator's 5 concurrent requests per environment and this machine's CPU).
Memory: RSS of each service at rest (settled, idle) and its peak under the mixed load
(bench/memory.py records it as memory-<service>).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import freshness_at_scale
from bench.hub_api import caught_up, settled, signed_in
from bench.memory import PeakRss, bare_interpreter_mib, record_memory, rss_mib
from bench.progress import Progress
from bench.results import Baseline, Target, percentile, record
from deploy.local.stack import Stack, StackOptions, start_stack

# The size of bench/freshness_at_scale.py (BENCH_SCALE_COMPANIES): at_scale runs both on one stack.
TENANTS = int(os.environ.get("BENCH_MIXED_TENANTS", str(freshness_at_scale.TENANTS)))
COMPANIES_PER_TENANT = int(
    os.environ.get("BENCH_MIXED_COMPANIES_PER_TENANT", str(freshness_at_scale.COMPANIES_PER_TENANT))
)
READERS = int(os.environ.get("BENCH_MIXED_READERS", "50"))
READERS_ALONE_SECONDS = float(os.environ.get("BENCH_MIXED_READERS_SECONDS", "30"))
FOLLOW_EVERY_SECONDS = 1.0
SYNC_POLL_SECONDS = 300.0
SETTLE_WITHIN_SECONDS = 1500.0
REFRESH_WITHIN_SECONDS = 600.0


@dataclass(frozen=True)
class Refresh:
    """One refresh-all as the accountant saw it."""

    seconds: float
    total: int
    done: int
    failed: int


async def refresh_all(api: httpx.AsyncClient, label: str = "refresh-all") -> Refresh:
    """Start a refresh of every company and follow the job until it is finished (its progress shown
    under `label`)."""
    started = time.monotonic()
    answer = await api.post("/api/v1/refresh", json={"scope": "all"})
    answer.raise_for_status()
    job = answer.json()
    bar = Progress(label, total=job["total"])
    while job["state"] != "finished":
        bar.update(job["done"] + job["failed"], f"{job['failed']:,} failed")
        if time.monotonic() - started > REFRESH_WITHIN_SECONDS:
            raise TimeoutError(
                f"refresh-all not finished within {REFRESH_WITHIN_SECONDS:g}s: {job['done']} done"
            )
        await asyncio.sleep(FOLLOW_EVERY_SECONDS)
        progress = await api.get(f"/api/v1/refresh/{job['id']}")
        progress.raise_for_status()
        job = progress.json()
    bar.finish(job["done"] + job["failed"], f"{job['failed']:,} failed")
    return Refresh(time.monotonic() - started, job["total"], job["done"], job["failed"])


async def read_until(api: httpx.AsyncClient, stop: asyncio.Event) -> list[float]:
    """READERS readers paging the dashboard until `stop`; every request's latency, ms."""
    latencies: list[float] = []

    async def reader() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            (await api.get("/api/v1/dashboard", params={"limit": 100})).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(reader() for _ in range(READERS)))
    return latencies


async def readers_for(api: httpx.AsyncClient, seconds: float) -> list[float]:
    """The readers alone for `seconds`."""
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    return await read_until(api, stop)


async def measure(stack: Stack) -> dict[str, Any]:
    """At rest, readers alone, refresh alone, then both together (with RSS sampled)."""
    companies = TENANTS * COMPANIES_PER_TENANT
    api = await signed_in(stack, connections=READERS + 4)
    sim = httpx.AsyncClient(base_url=f"{stack.simulator_url}/_simulator", timeout=60)
    pids = {name: process.pid for name, process in stack.services.items()}
    try:
        settle_seconds = await settled(api, sim, companies, SETTLE_WITHIN_SECONDS)
        settle_seconds += await caught_up(stack.kafka.bootstrap_servers, SETTLE_WITHIN_SECONDS)
        await asyncio.sleep(10)
        at_rest = {name: rss_mib(pid) for name, pid in pids.items()}
        print(
            f"{READERS} dashboard readers alone for {READERS_ALONE_SECONDS:g} s", file=sys.stderr, flush=True
        )
        readers_alone = await readers_for(api, READERS_ALONE_SECONDS)
        refresh_alone = await refresh_all(api, "refresh-all alone")
        await asyncio.sleep(5)
        sampler = PeakRss(pids)
        sampler.start()
        load_before = os.getloadavg()
        stop = asyncio.Event()
        readers = asyncio.create_task(read_until(api, stop))
        refresh_mixed = await refresh_all(api, f"refresh-all while {READERS} readers read")
        stop.set()
        readers_mixed = await readers
        peak = await sampler.stop()
        stats = (await sim.get("/stats")).json()
        return {
            "settle_seconds": settle_seconds,
            "at_rest": at_rest,
            "peak": peak,
            "readers_alone": readers_alone,
            "readers_mixed": readers_mixed,
            "refresh_alone": refresh_alone,
            "refresh_mixed": refresh_mixed,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "simulator": {
                k: stats[k] for k in ("requestsServed", "requestsThrottled", "maxConcurrencyObserved")
            },
        }
    finally:
        await api.aclose()
        await sim.aclose()


def _latency(samples: list[float]) -> dict[str, float]:
    return {
        "requests": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p99_ms": round(percentile(samples, 0.99), 1),
    }


def main() -> None:
    """Run the mixed load and record the readers' p99, the refresh's duration and each service's RSS."""
    baseline_mib = bare_interpreter_mib()
    options = StackOptions(
        tenants=TENANTS,
        companies_per_tenant=COMPANIES_PER_TENANT,
        partitions=6,
        poll_interval_seconds=SYNC_POLL_SECONDS,
    )
    with tempfile.TemporaryDirectory(prefix="bench-mixed-load-") as work:
        stack = start_stack(Path(work), options)
        try:
            run = asyncio.run(measure(stack))
        finally:
            stack.stop()
    save(run, baseline_mib, freshness_at_scale.command("mixed_load"))


def save(run: dict[str, Any], baseline_mib: float, command: str) -> None:
    """Record mixed-load-readers-p99, mixed-load-refresh-all and memory-<service>."""
    alone, mixed = run["refresh_alone"], run["refresh_mixed"]
    companies = TENANTS * COMPANIES_PER_TENANT
    details: dict[str, Any] = {
        "companies": TENANTS * COMPANIES_PER_TENANT,
        "client_tenants": TENANTS,
        "readers": READERS,
        "readers_alone": _latency(run["readers_alone"]) | {"seconds": READERS_ALONE_SECONDS},
        "readers_during_refresh": _latency(run["readers_mixed"]),
        "refresh_alone": vars(alone) | {"seconds": round(alone.seconds, 1)},
        "refresh_with_readers": vars(mixed) | {"seconds": round(mixed.seconds, 1)},
        "sync_poll_interval_s": SYNC_POLL_SECONDS,
        "settle_seconds": round(run["settle_seconds"], 1),
        "load_before": run["load_before"],
        "load_after": run["load_after"],
        "simulator": run["simulator"],
    }
    readers = record(
        name="mixed-load-readers-p99",
        figure=f"p99 ms of {READERS} dashboard readers while a refresh-all of {companies:,} companies runs",
        value=percentile(run["readers_mixed"], 0.99),
        unit="ms",
        baseline=Baseline(
            name="the same readers with no refresh running, same run",
            value=round(percentile(run["readers_alone"], 0.99), 1),
        ),
        target=Target(ratio_at_most=2.0),
        details=details,
        command=command,
    )
    refresh = record(
        name="mixed-load-refresh-all",
        figure=f"seconds of a refresh-all of {companies:,} companies while {READERS} readers read",
        value=mixed.seconds,
        unit="s",
        baseline=Baseline(
            name="the same refresh-all with no readers, same run", value=round(alone.seconds, 1)
        ),
        target=Target(ratio_at_most=1.5),
        details=details,
        command=command,
    )
    print(readers.model_dump_json(indent=2), refresh.model_dump_json(indent=2), sep="\n")
    load = {
        "load": f"{companies:,} companies: a refresh-all while {READERS} readers page the dashboard",
        "companies": TENANTS * COMPANIES_PER_TENANT,
        "readers": READERS,
    }
    record_memory(run["at_rest"], run["peak"], baseline_mib, load, command)
