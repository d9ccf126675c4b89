"""Memory (RSS) of each service at rest and under load, beside a bare interpreter with the same libraries.

Everything runs as processes (real Kafka, the MongoDB-wire server, the BC stand-in, four services).
Load: the simulator's mutator changing the books while concurrent readers page the dashboard.
Baseline, same run: the RSS of a Python process that only imports the services' libraries.
Target: the memory limit of the service's pod in deploy/k8s/base (value_at_most, MiB).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.results import Baseline, Target, record
from deploy.local.stack import SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD, Stack, StackOptions, start_stack

TENANTS = int(os.environ.get("BENCH_MEMORY_TENANTS", "20"))
COMPANIES_PER_TENANT = int(os.environ.get("BENCH_MEMORY_COMPANIES_PER_TENANT", "10"))
READERS = int(os.environ.get("BENCH_MEMORY_READERS", "50"))
LOAD_SECONDS = float(os.environ.get("BENCH_MEMORY_LOAD_SECONDS", "60"))
CHANGES_PER_SECOND = 20
POD_LIMIT_MIB = {"aggregator": 768, "sync": 512, "tasks": 256, "gateway": 512}
LIBRARIES = "import fastapi, faststream, pymongo, aiokafka, httpx, structlog, uvicorn, prometheus_client"


def rss_mib(pid: int) -> float:
    """Resident set size of a process, MiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def bare_interpreter_mib() -> float:
    """RSS of a Python process that imports the services' libraries and does nothing else."""
    code = f"{LIBRARIES}; import time; print('ready', flush=True); time.sleep(60)"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)  # noqa: S603 - our interpreter
    try:
        assert process.stdout is not None
        process.stdout.readline()
        time.sleep(0.5)
        return rss_mib(process.pid)
    finally:
        process.kill()
        process.wait()


async def _signed_in(stack: Stack) -> httpx.AsyncClient:
    api = httpx.AsyncClient(base_url=stack.gateway_url, timeout=30)
    response = await api.post(
        "/api/v1/session", json={"email": SAMPLE_ACCOUNTANT, "password": SAMPLE_PASSWORD}
    )
    response.raise_for_status()
    api.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return api


async def _settled(api: httpx.AsyncClient, companies: int, within: float = 600) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        rows = (await api.get("/api/v1/dashboard", params={"limit": 500})).json()["rows"]
        if len(rows) == companies and all(r["last_synced_at"] for r in rows):
            return
        await asyncio.sleep(1)
    raise TimeoutError(f"the dashboard did not show {companies} synced companies within {within:g}s")


async def _read_until(api: httpx.AsyncClient, stop: asyncio.Event) -> int:
    reads = 0
    while not stop.is_set():
        (await api.get("/api/v1/dashboard", params={"limit": 100})).raise_for_status()
        reads += 1
    return reads


async def measure(stack: Stack) -> tuple[dict[str, float], dict[str, float], int]:
    """RSS per service at rest, peak RSS per service under load, and dashboard reads served."""
    api = await _signed_in(stack)
    sim = httpx.AsyncClient(base_url=f"{stack.simulator_url}/_simulator", timeout=30)
    try:
        await _settled(api, TENANTS * COMPANIES_PER_TENANT)
        await asyncio.sleep(5)
        at_rest = {name: rss_mib(p.pid) for name, p in stack.services.items()}
        peak = dict(at_rest)
        (await sim.post("/mutator/start", json={"changes_per_second": CHANGES_PER_SECOND})).raise_for_status()
        stop = asyncio.Event()
        readers = [asyncio.create_task(_read_until(api, stop)) for _ in range(READERS)]
        deadline = time.monotonic() + LOAD_SECONDS
        while time.monotonic() < deadline:
            peak = {name: max(peak[name], rss_mib(p.pid)) for name, p in stack.services.items()}
            await asyncio.sleep(0.5)
        stop.set()
        reads = sum(await asyncio.gather(*readers))
        (await sim.post("/mutator/stop")).raise_for_status()
        return at_rest, peak, reads
    finally:
        await api.aclose()
        await sim.aclose()


def main() -> None:
    """Measure and record one result per service (bench/results/memory-<service>.json)."""
    baseline = bare_interpreter_mib()
    options = StackOptions(tenants=TENANTS, companies_per_tenant=COMPANIES_PER_TENANT, partitions=3)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as work:
        stack = start_stack(Path(work), options)
        try:
            at_rest, peak, reads = asyncio.run(measure(stack))
        finally:
            stack.stop()
    for name in sorted(peak):
        result = record(
            name=f"memory-{name}",
            figure=f"{name} peak RSS under load",
            value=peak[name],
            unit="MiB",
            baseline=Baseline(name="bare interpreter with the same libraries", value=round(baseline, 1)),
            target=Target(value_at_most=POD_LIMIT_MIB[name]),
            details={
                "at_rest_mib": round(at_rest[name], 1),
                "under_load_peak_mib": round(peak[name], 1),
                "companies": TENANTS * COMPANIES_PER_TENANT,
                "readers": READERS,
                "mutator_changes_per_second": CHANGES_PER_SECOND,
                "load_seconds": LOAD_SECONDS,
                "dashboard_reads_served": reads,
                "pod_limit_mib": POD_LIMIT_MIB[name],
            },
            command="make bench NAME=memory",
        )
        print(f"{name}: at rest {at_rest[name]:.1f} MiB, peak {peak[name]:.1f} MiB (met: {result.met})")
