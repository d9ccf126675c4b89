"""The MongoDB server SIGKILLed and restarted under load: the aggregator pauses without committing,
resumes when the server is back, and ends equal to a clean replay (nothing lost, nothing twice)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from pathlib import Path

import pytest

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from services.aggregator.offsets import committed_offsets
from shared.mongo import connect, database
from tests.aggregator_load import AggregatorProcess, aggregator_settings, interleaved, lag, publish
from tests.faults.conftest import assert_equal_to_a_clean_replay
from tests.faults.tally import assert_nothing_lost, measure, record_measured
from tests.waiting import eventually

pytestmark = pytest.mark.integration
KILLS = 3


async def test_mongo_killed_mid_load_loses_and_doubles_nothing(
    kafka_server: KafkaServer, own_mongo: MongoServer, processes: list[AggregatorProcess], tmp_path: Path
) -> None:
    started = time.monotonic()
    rng = random.Random(20261126)
    events = interleaved(rng, companies=40, changes=60)
    companies = {event.company_id for _, event in events}
    db_name, group = f"mongo_fault_{uuid.uuid4().hex[:6]}", f"mongo-fault-{uuid.uuid4().hex[:6]}"
    settings = aggregator_settings(kafka_server, own_mongo, db_name, group)
    aggregator = AggregatorProcess(kafka_server, own_mongo, group, db_name, tmp_path)
    processes.append(aggregator)
    aggregator.start()
    await eventually(aggregator.ready, bool, within=60)

    chunk = -(-len(events) // KILLS)
    for start in range(0, len(events), chunk):
        half = start + chunk // 2
        await publish(kafka_server, events[start:half])
        await asyncio.sleep(rng.uniform(0.1, 1.0))  # mid-load: some batches written, some not
        own_mongo.kill()
        await publish(kafka_server, events[half : start + chunk])  # arrives while the server is down
        await asyncio.sleep(1.0)
        frozen = await committed_offsets(settings.common, group)
        await asyncio.sleep(rng.uniform(1.0, 3.0))
        assert await committed_offsets(settings.common, group) == frozen, (
            "offsets moved with the database down"
        )
        own_mongo.restart()
    await eventually(lambda: lag(kafka_server, group), lambda behind: behind == 0, within=300)
    assert aggregator.process is not None
    assert aggregator.process.alive, f"the aggregator died instead of pausing; see {aggregator.log}"
    failed_batches = aggregator.log.read_text().count("projection_write_failed_will_retry")
    assert failed_batches >= 1, "the database was never down while a batch was written"

    client = connect(own_mongo.url, app_name="tests")
    try:
        live = database(client, db_name)
        await assert_equal_to_a_clean_replay(live, settings, companies)
        measured = await measure(kafka_server, live, companies, [event for _, event in events])
        assert_nothing_lost(measured)
    finally:
        await client.close()
    record_measured(
        "mongo_restart",
        fault="MongoDB server SIGKILLed mid-load, restarted (offsets frozen while it is down)",
        times=f"{KILLS} kills, {failed_batches} failed batches",
        measured=measured,
        test="tests/faults/test_mongo_restart.py",
        in_make_test=True,
        seconds=time.monotonic() - started,
    )
