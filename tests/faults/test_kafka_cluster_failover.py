"""A 3-node Kafka cluster on loopback (replication 3, min.insync.replicas=2, acks=all) with one
node SIGKILLed mid-load and left dead: producers and consumers carry on, no acknowledged event is
lost, and the aggregator ends equal to a clean replay. Slow (three JVMs): `make chaos` only."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.kafka_cluster import KafkaCluster, start_kafka_cluster
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

pytestmark = [pytest.mark.integration, pytest.mark.chaos_only, pytest.mark.timeout(900)]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[KafkaCluster]:
    """Three Kafka nodes of this test alone."""
    running = start_kafka_cluster(tmp_path / "kafka", project_topics(3), nodes=3)
    try:
        yield running
    finally:
        running.stop()


async def test_one_of_three_brokers_killed_mid_load_loses_nothing(
    cluster: KafkaCluster, mongo_server: MongoServer, processes: list[AggregatorProcess], tmp_path: Path
) -> None:
    started = time.monotonic()
    rng = random.Random(20261129)
    events = interleaved(rng, companies=30, changes=60)
    companies = {event.company_id for _, event in events}
    db_name, group = f"cluster_fault_{uuid.uuid4().hex[:6]}", f"cluster-fault-{uuid.uuid4().hex[:6]}"
    settings = aggregator_settings(cluster, mongo_server, db_name, group)
    aggregator = AggregatorProcess(cluster, mongo_server, group, db_name, tmp_path)
    processes.append(aggregator)
    aggregator.start()
    await eventually(aggregator.ready, bool, within=120)

    taken = Published()
    publishing = asyncio.create_task(publish_steadily(cluster, events, published=taken))
    await until_published(taken, int(len(events) * rng.uniform(0.2, 0.5)), publishing)
    victim = rng.choice(cluster.nodes)
    victim.kill()
    await asyncio.wait_for(publishing, timeout=300)

    published = sum((await end_offsets(settings.common, CONSUMED)).values())
    assert published >= len(events), (
        f"{len(events) - published} acknowledged events are missing from the topics"
    )
    await eventually(lambda: lag(cluster, group), lambda behind: behind == 0, within=300)
    assert not victim.alive
    assert aggregator.process is not None
    assert aggregator.process.alive, f"the aggregator died with a broker; see {aggregator.log}"
    client = connect(mongo_server.url, app_name="tests")
    try:
        live = database(client, db_name)
        await assert_equal_to_a_clean_replay(live, settings, companies)
        measured = await measure(cluster, live, companies, [event for _, event in events])
        assert_nothing_lost(measured)
    finally:
        await client.close()
    record_measured(
        "kafka_cluster_failover",
        fault="one of 3 Kafka nodes SIGKILLed mid-publish (replication 3, min.insync.replicas 2, acks=all), "
        "left dead",
        times="1 kill",
        measured=measured,
        test="tests/faults/test_kafka_cluster_failover.py",
        in_make_test=False,
        seconds=time.monotonic() - started,
    )
