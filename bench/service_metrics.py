"""What sync and the aggregator say about themselves (their Prometheus metrics) over a benchmark's window."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from deploy.local.stack import Stack

# Sync's histograms of waiting (services/sync/metrics.py): where a pass's time goes before it pulls.
WAITS = {
    "pass_wait": "hub_sync_wait_seconds",
    "client_queue": "hub_client_request_queue_seconds",
    "client_answer": "hub_client_request_seconds",
}
# The aggregator's (services/aggregator/metrics.py): how long a batch takes to apply, and how old an
# event is when its projection is written (from its occurrence at the client system); their tails
# say whether a slow figure waited on a long batch or on the way to the aggregator.
AGGREGATOR_TIMES = {
    "batch": "hub_batch_duration_seconds",
    "event_age": "hub_projection_age_seconds",
}
HISTOGRAMS = {"sync": WAITS, "aggregator": AGGREGATOR_TIMES}
# Existing Prometheus series (services/*/metrics.py) summed over their labels; a histogram's buckets
# are kept as `<name>_bucket:<le>`.
COUNTERS = {
    "aggregator": (
        "hub_events_applied_total",
        *(f"{name}_{part}" for name in AGGREGATOR_TIMES.values() for part in ("count", "sum")),
    ),
    "sync": (
        "hub_sync_duration_seconds_count",
        "hub_sync_duration_seconds_sum",
        "hub_client_requests_total",
        *(f"{name}_{part}" for name in WAITS.values() for part in ("count", "sum")),
    ),
}


async def service_counters(stack: Stack) -> dict[str, dict[str, float]]:
    """The COUNTERS of each service, and the buckets of its HISTOGRAMS, from its /metrics."""
    found: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(timeout=30) as http:
        for service, names in COUNTERS.items():
            text = (await http.get(f"http://127.0.0.1:{stack.ports[service]}/metrics")).text
            totals = dict.fromkeys(names, 0.0)
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name in totals:
                        totals[sample.name] += sample.value
                    elif sample.name.removesuffix("_bucket") in HISTOGRAMS[service].values():
                        key = f"{sample.name}:{sample.labels['le']}"
                        totals[key] = totals.get(key, 0.0) + sample.value
            found[service] = totals
    return found


def waited(before: dict[str, float], after: dict[str, float], name: str) -> dict[str, float | None]:
    """One histogram of seconds over the window: how many, their mean, and the bucket bound its p99 is
    within (`p99_at_most_ms`, None past the last bound)."""
    count = after.get(f"{name}_count", 0.0) - before.get(f"{name}_count", 0.0)
    total = after.get(f"{name}_sum", 0.0) - before.get(f"{name}_sum", 0.0)
    prefix = f"{name}_bucket:"
    bounds = sorted(
        (float(key.removeprefix(prefix)), after[key] - before.get(key, 0.0))
        for key in after
        if key.startswith(prefix)
    )
    p99 = next((bound for bound, within in bounds if within >= 0.99 * count), None) if count else None
    return {
        "count": int(count),
        "mean_ms": round(1000 * total / count, 1) if count else None,
        "p99_at_most_ms": None if p99 is None or p99 == float("inf") else round(1000 * p99, 1),
    }


def busy(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]], seconds: float
) -> dict[str, Any]:
    """What sync and the aggregator did between two readings: passes, batches, and the share of the
    wall time the aggregator spent applying batches (near 1: it is the bottleneck)."""

    def delta(service: str, name: str) -> float:
        return after[service][name] - before[service][name]

    batches = delta("aggregator", "hub_batch_duration_seconds_count")
    batch_seconds = delta("aggregator", "hub_batch_duration_seconds_sum")
    passes = delta("sync", "hub_sync_duration_seconds_count")
    return {
        "seconds": round(seconds, 1),
        "aggregator_events_applied": int(delta("aggregator", "hub_events_applied_total")),
        "aggregator_events_per_second": round(delta("aggregator", "hub_events_applied_total") / seconds, 1),
        "aggregator_batches": int(batches),
        "aggregator_mean_batch_ms": round(1000 * batch_seconds / batches, 1) if batches else None,
        "aggregator_share_of_time_applying": round(batch_seconds / seconds, 3),
        "sync_passes": int(passes),
        "sync_mean_pass_ms": round(1000 * delta("sync", "hub_sync_duration_seconds_sum") / passes, 1)
        if passes
        else None,
        "sync_client_requests": int(delta("sync", "hub_client_requests_total")),
        **{
            f"{service}_{label}": waited(before[service], after[service], name)
            for service, histograms in HISTOGRAMS.items()
            for label, name in histograms.items()
        },
    }
