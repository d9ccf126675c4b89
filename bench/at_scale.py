"""The two at-scale benchmarks (1,000 companies by default, BENCH_SCALE_COMPANIES) on one stack, to
pay for its start (every company's first sync and sync's webhook subscriptions) once: freshness under
the mutator, then the mixed load (the mutator stopped). Each is also runnable alone:
`make bench NAME=freshness_at_scale` or `make bench NAME=mixed_load`."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from bench import freshness_at_scale, mixed_load
from bench.memory import bare_interpreter_mib
from deploy.local.stack import start_stack


def main() -> None:
    """Freshness, then mixed load, on one stack; records both."""
    baseline_mib = bare_interpreter_mib()
    kept = os.environ.get("BENCH_WORK_DIR")  # keeps the stack's logs; a temporary directory otherwise
    with tempfile.TemporaryDirectory(prefix="bench-at-scale-") as work:
        stack = start_stack(Path(kept or work), freshness_at_scale.options())
        try:
            fresh, round_trips = freshness_at_scale.run_on(stack)
            freshness_at_scale.save(fresh, round_trips, freshness_at_scale.command("at_scale"))
            mixed = asyncio.run(mixed_load.measure(stack))
        finally:
            stack.stop()
    mixed_load.save(mixed, baseline_mib, freshness_at_scale.command("at_scale"))
