"""The Kafka broker SIGKILLed and restarted while events are being published and consumed:
the producer carries on once it is back, nothing it was told is taken goes missing, and the
aggregator ends equal to a clean replay of the topics."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.kafka import KafkaServer, start_kafka
from deploy.local.mongo import MongoServer
from services.aggregator.offsets import end_offsets
from services.aggregator.subscribers import CONSUMED
from shared.mongo import connect, database
from shared.topics import project_topics
from tests.aggregator_load import (
    AggregatorProcess,
    Published,
    aggregator_settings,
    interleaved,
    lag,
    publish_steadily,
    until_published,
)
from tests.faults.conftest import assert_equal_to_a_clean_replay
from tests.faults.tally import assert_nothing_lost, measure, record_measured
from tests.waiting import eventually

pytestmark = pytest.mark.integration
KILLS = 2


@pytest.fixture
def own_kafka(tmp_path: Path) -> Iterator[KafkaServer]:
    """A Kafka broker of this test alone, that the test may kill."""
    server = start_kafka(tmp_path / "kafka", project_topics(3))
    try:
        yield server
    finally:
        server.stop()


async def test_kafka_killed_mid_load_loses_and_doubles_nothing(
    own_kafka: KafkaServer, mongo_server: MongoServer, processes: list[AggregatorProcess], tmp_path: Path
) -> None:
    started = time.monotonic()
    rng = random.Random(20261127)
    events = interleaved(rng, companies=30, changes=60)
    companies = {event.company_id for _, event in events}
    db_name, group = f"kafka_fault_{uuid.uuid4().hex[:6]}", f"kafka-fault-{uuid.uuid4().hex[:6]}"
    settings = aggregator_settings(own_kafka, mongo_server, db_name, group)
    aggregator = AggregatorProcess(own_kafka, mongo_server, group, db_name, tmp_path)
    processes.append(aggregator)
    aggregator.start()
    await eventually(aggregator.ready, bool, within=60)

    taken = Published()
    publishing = asyncio.create_task(publish_steadily(own_kafka, events, published=taken))
    for kill in range(KILLS):  # the first kill within 15-35% of the events taken, the second 55-75%
        await until_published(taken, int(len(events) * (rng.uniform(0.15, 0.35) + 0.4 * kill)), publishing)
        own_kafka.kill()
        await asyncio.sleep(rng.uniform(1.0, 3.0))
        await asyncio.to_thread(own_kafka.restart, 120)
    longest_wait = await asyncio.wait_for(publishing, timeout=300)
    assert longest_wait > 1.0, "no send was held up by the broker being down: the fault missed the load"

    published = sum((await end_offsets(settings.common, CONSUMED)).values())
    assert published >= len(events), (
        f"{len(events) - published} acknowledged events are missing from the topics"
    )
    await eventually(lambda: lag(own_kafka, group), lambda behind: behind == 0, within=300)
    assert aggregator.process is not None
    assert aggregator.process.alive, f"the aggregator died with the broker; see {aggregator.log}"
    client = connect(mongo_server.url, app_name="tests")
    try:
        live = database(client, db_name)
        await assert_equal_to_a_clean_replay(live, settings, companies)
        measured = await measure(own_kafka, live, companies, [event for _, event in events])
        assert_nothing_lost(measured)
    finally:
        await client.close()
    record_measured(
        "kafka_restart",
        fault="Kafka broker SIGKILLed mid-publish, restarted",
        times=f"{KILLS} kills (longest wait for one send {longest_wait:.1f} s)",
        measured=measured,
        test="tests/faults/test_kafka_restart.py",
        in_make_test=True,
        seconds=time.monotonic() - started,
    )
