"""`make bench [NAME=...]`: every figure once (SUITE), or the benchmark named."""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench import (
    aggregator,
    aggregator_writes,
    at_scale,
    freshness,
    freshness_at_scale,
    gateway,
    mixed_load,
    reports,
    sync,
)

BENCHMARKS: dict[str, Callable[[], None]] = {
    "freshness": freshness.main,
    "freshness_at_scale": freshness_at_scale.main,
    "at_scale": at_scale.main,
    "aggregator": aggregator.main,
    "aggregator_writes": aggregator_writes.main,
    "gateway": gateway.main,
    "mixed_load": mixed_load.main,
    "reports": reports.main,
    "sync": sync.main,
}

# Every figure once: at_scale measures freshness at scale and then the mixed load on one stack, so
# freshness_at_scale and mixed_load, which start a stack each, run only when named.
SUITE = ("freshness", "at_scale", "aggregator", "aggregator_writes", "gateway", "reports", "sync")


def main(argv: list[str]) -> int:
    """Run the named benchmarks (the suite when none are named)."""
    names = argv or list(SUITE)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {sorted(BENCHMARKS)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"== {name}", flush=True)
        BENCHMARKS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
