"""Memory (RSS) of each service at rest and under load, beside a bare interpreter with the same libraries.

Measured by bench/mixed_load.py under its load (1,000 companies: a refresh-all while 50 readers page
the dashboard); this module samples and records it.
Baseline, same run: the RSS of a Python process that only imports the services' libraries.
Target: the memory limit of the service's pod in deploy/k8s/base (value_at_most, MiB).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.results import Baseline, Target, record

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


def record_memory(
    at_rest: dict[str, float], peak: dict[str, float], baseline: float, load: dict[str, Any], command: str
) -> None:
    """One result per service, bench/results/memory-<service>.json: peak RSS under `load`."""
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
                "pod_limit_mib": POD_LIMIT_MIB[name],
                **load,
            },
            command=command,
        )
        print(f"{name}: at rest {at_rest[name]:.1f} MiB, peak {peak[name]:.1f} MiB (met: {result.met})")


class PeakRss:
    """Samples the RSS of running processes every `every` seconds and keeps each one's peak."""

    def __init__(self, pids: dict[str, int], every: float = 0.5) -> None:
        self._pids, self._every = pids, every
        self.peak = {name: rss_mib(pid) for name, pid in pids.items()}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sampling (in the running event loop)."""
        self._task = asyncio.create_task(self._sample())

    async def stop(self) -> dict[str, float]:
        """Stop sampling; the peaks."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.peak

    async def _sample(self) -> None:
        while True:
            self.peak = {name: max(self.peak[name], rss_mib(pid)) for name, pid in self._pids.items()}
            await asyncio.sleep(self._every)
