"""Where a benchmark's time went: the CPU each process of the stack used, and the MongoDB time each
service spent, by command and collection, between two readings.

On a 2-core machine everything shares the same CPUs, the simulator included; this says which process
had them. The MongoDB times come from each service's `hub_mongo_command_seconds` (shared/mongo_metrics.py).
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from deploy.local.stack import Stack

TICKS = os.sysconf("SC_CLK_TCK")
MONGO_SERIES = "hub_mongo_command_seconds"
TOP_COMMANDS = 8


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of stat)


def stack_pids(stack: Stack) -> dict[str, int]:
    """Each process of the stack by name, and this benchmark's own."""
    pids = {name: process.pid for name, process in stack.services.items()}
    pids |= {"kafka": stack.kafka.process.pid, "mongodb": stack.mongo.process.pid}
    return pids | {"simulator": stack.simulator.pid, "bench": os.getpid()}


@dataclass(frozen=True)
class Reading:
    """CPU seconds per process and MongoDB (count, seconds) per service, command and collection."""

    cpu: dict[str, float]
    mongo: dict[str, dict[tuple[str, str], tuple[float, float]]]


async def read(stack: Stack) -> Reading:
    """One reading of the whole stack."""
    cpu = {name: cpu_seconds(pid) for name, pid in stack_pids(stack).items()}
    mongo: dict[str, dict[tuple[str, str], tuple[float, float]]] = {}
    async with httpx.AsyncClient(timeout=30) as http:
        for service in stack.services:
            text = (await http.get(f"http://127.0.0.1:{stack.ports[service]}/metrics")).text
            mongo[service] = _mongo_totals(text)
    return Reading(cpu, mongo)


def _mongo_totals(text: str) -> dict[tuple[str, str], tuple[float, float]]:
    counts: dict[tuple[str, str], float] = defaultdict(float)
    seconds: dict[tuple[str, str], float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        if family.name != MONGO_SERIES:
            continue
        for sample in family.samples:
            key = (sample.labels.get("command", ""), sample.labels.get("collection", ""))
            if sample.name == f"{MONGO_SERIES}_count":
                counts[key] += sample.value
            elif sample.name == f"{MONGO_SERIES}_sum":
                seconds[key] += sample.value
    return {key: (counts[key], seconds[key]) for key in counts}


def spent(before: Reading, after: Reading, seconds: float) -> dict[str, Any]:
    """CPU share per process (1.0 = one core all the time) and each service's MongoDB time, with its
    costliest commands, over `seconds` of wall time."""
    cpu = {
        name: round((after.cpu.get(name, 0.0) - before.cpu.get(name, 0.0)) / seconds, 3) for name in after.cpu
    }
    mongo: dict[str, Any] = {}
    for service, totals in after.mongo.items():
        earlier = before.mongo.get(service, {})
        deltas = {
            key: (count - earlier.get(key, (0.0, 0.0))[0], total - earlier.get(key, (0.0, 0.0))[1])
            for key, (count, total) in totals.items()
        }
        busiest = sorted(deltas.items(), key=lambda item: item[1][1], reverse=True)[:TOP_COMMANDS]
        mongo[service] = {
            "commands": int(sum(count for count, _ in deltas.values())),
            "seconds": round(sum(total for _, total in deltas.values()), 1),
            "costliest": [
                {
                    "command": f"{command} {collection}".strip(),
                    "count": int(count),
                    "seconds": round(total, 1),
                    "mean_ms": round(1000 * total / count, 1) if count else None,
                }
                for (command, collection), (count, total) in busiest
                if count
            ],
        }
    return {"wall_seconds": round(seconds, 1), "cpu_cores_used": cpu, "mongo_time_by_service": mongo}
