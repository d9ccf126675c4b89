"""The benchmarks' account of where time went: CPU per process and MongoDB time per service."""

from __future__ import annotations

import os
import time

from bench.where_time_goes import Reading, _mongo_totals, cpu_seconds, spent

METRICS = """\
# HELP hub_mongo_command_seconds MongoDB commands
# TYPE hub_mongo_command_seconds histogram
hub_mongo_command_seconds_bucket{command="find",collection="rows",outcome="ok",le="+Inf"} 4.0
hub_mongo_command_seconds_count{command="find",collection="rows",outcome="ok"} 4.0
hub_mongo_command_seconds_sum{command="find",collection="rows",outcome="ok"} 2.0
hub_mongo_command_seconds_count{command="find",collection="rows",outcome="failed"} 1.0
hub_mongo_command_seconds_sum{command="find",collection="rows",outcome="failed"} 0.5
hub_mongo_command_seconds_count{command="update",collection="state",outcome="ok"} 10.0
hub_mongo_command_seconds_sum{command="update",collection="state",outcome="ok"} 1.0
"""


def test_cpu_seconds_grow_while_a_process_works() -> None:
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    assert cpu_seconds(os.getpid()) > before


def test_a_process_that_is_gone_has_used_nothing_more() -> None:
    assert cpu_seconds(2**22 + 12345) == 0.0


def test_mongo_totals_add_outcomes_per_command_and_collection() -> None:
    assert _mongo_totals(METRICS) == {("find", "rows"): (5.0, 2.5), ("update", "state"): (10.0, 1.0)}


def test_spent_is_the_difference_between_readings_over_the_wall_time() -> None:
    before = Reading({"sync": 10.0}, {"sync": {("find", "rows"): (5.0, 2.5)}})
    after = Reading(
        {"sync": 15.0}, {"sync": {("find", "rows"): (9.0, 4.5), ("update", "state"): (10.0, 1.0)}}
    )

    result = spent(before, after, 10.0)

    assert result["cpu_cores_used"] == {"sync": 0.5}
    sync = result["mongo_time_by_service"]["sync"]
    assert (sync["commands"], sync["seconds"]) == (14, 3.0)
    assert sync["costliest"] == [
        {"command": "find rows", "count": 4, "seconds": 2.0, "mean_ms": 500.0},
        {"command": "update state", "count": 10, "seconds": 1.0, "mean_ms": 100.0},
    ]
