"""A crash at any point changes nothing: the aggregator process is SIGKILLed again and again under
load, restarted each time, and its projections end equal to those of one clean run over the same topics."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from pathlib import Path

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from shared.ids import CompanyId
from shared.mongo import Document, database
from tests.aggregator_load import AggregatorProcess, interleaved, lag, publish
from tests.faults.tally import assert_nothing_lost, measure, record_measured
from tests.waiting import eventually

# Ten restarts of a process that replays up to tens of thousands of events: ~2-4 minutes on 2 cores.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
KILLS = 10
PROJECTIONS = ("company_figures", "dashboard_rows")


async def projections(db: AsyncDatabase[Document], companies: set[CompanyId]) -> dict[str, list[Document]]:
    return {
        name: await db[name].find({"company_id": {"$in": sorted(companies)}}).sort("_id", 1).to_list()
        for name in PROJECTIONS
    }


def first_difference(crashed: dict[str, list[Document]], clean: dict[str, list[Document]]) -> str:
    for name in PROJECTIONS:
        left = {d["_id"]: d for d in crashed[name]}
        right = {d["_id"]: d for d in clean[name]}
        for key in sorted(left.keys() | right.keys()):
            a, b = left.get(key), right.get(key)
            if a != b:
                fields = sorted(
                    f for f in (a or {}).keys() | (b or {}).keys() if (a or {}).get(f) != (b or {}).get(f)
                )
                return f"{name} {key}: fields {fields} differ (after crashes: {a}, clean: {b})"
    return "none"


async def test_sigkilled_aggregator_ends_equal_to_a_clean_replay(
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    mongo_db: AsyncDatabase[Document],
    processes: list[AggregatorProcess],
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    rng = random.Random(20261125)
    events = interleaved(rng)
    companies = {event.company_id for _, event in events}
    crashed_db, clean_db = f"{mongo_db.name}_crashed", f"{mongo_db.name}_clean"
    group = f"crash-{uuid.uuid4().hex[:6]}"
    crashing = AggregatorProcess(kafka_server, mongo_server, group, crashed_db, tmp_path)
    processes.append(crashing)
    crashing.start()

    chunk = -(-len(events) // KILLS)
    for start in range(0, len(events), chunk):
        await publish(kafka_server, events[start : start + chunk])
        await eventually(crashing.ready, bool, within=60)
        await asyncio.sleep(rng.uniform(0.1, 1.5))  # a random moment while it works through the chunk
        crashing.kill()
        crashing.start()
    await eventually(lambda: lag(kafka_server, group), lambda behind: behind == 0, within=180)

    clean = AggregatorProcess(kafka_server, mongo_server, f"clean-{uuid.uuid4().hex[:6]}", clean_db, tmp_path)
    processes.append(clean)
    clean.start()
    await eventually(lambda: lag(kafka_server, clean_group(clean)), lambda behind: behind == 0, within=180)

    client = mongo_db.client
    after_crashes = await projections(database(client, crashed_db), companies)
    after_clean = await projections(database(client, clean_db), companies)
    assert len(after_clean["company_figures"]) == len(companies)
    assert after_clean["dashboard_rows"], "no accountant kept access to any company: the run proves nothing"
    assert after_crashes == after_clean, first_difference(after_crashes, after_clean)
    measured = await measure(kafka_server, database(client, crashed_db), companies, [e for _, e in events])
    assert_nothing_lost(measured)
    record_measured(
        "aggregator_crashes",
        fault="aggregator SIGKILLed at random moments, restarted",
        times=f"{KILLS} kills",
        measured=measured,
        test="tests/integration/test_aggregator_crash_recovery.py",
        in_make_test=True,
        seconds=time.monotonic() - started,
    )


def clean_group(process: AggregatorProcess) -> str:
    return process.env["AGGREGATOR_GROUP_ID"]
