"""While a replay asks for a pause, the live aggregator acknowledges it, writes nothing and commits
nothing; when the pause ends it applies what arrived meanwhile."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from services.aggregator.fence import (
    ProjectionsSwappingError,
    SwapFence,
    acknowledged_by,
    ask_pause,
    lease,
    resume,
)
from services.aggregator.offsets import committed_offsets, group_members
from shared.mongo import Document, connect, database
from shared.mongo_metrics import MongoCommandMetrics
from tests.aggregator_load import AggregatorProcess, aggregator_settings, interleaved, lag, publish
from tests.waiting import eventually

pytestmark = pytest.mark.integration


async def test_paused_aggregator_writes_and_commits_nothing_until_resumed(
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    mongo_db: AsyncDatabase[Document],
    processes: list[AggregatorProcess],
    tmp_path: Path,
) -> None:
    first, second = (
        interleaved(random.Random(7), companies=5, changes=5),
        interleaved(random.Random(8), companies=5, changes=5),
    )
    group = f"fence-{uuid.uuid4().hex[:6]}"
    settings = aggregator_settings(kafka_server, mongo_server, mongo_db.name, group)
    live = AggregatorProcess(kafka_server, mongo_server, group, mongo_db.name, tmp_path)
    processes.append(live)
    live.start()
    await publish(kafka_server, first)
    await eventually(lambda: lag(kafka_server, group), lambda behind: behind == 0, within=120)
    members = await group_members(settings.common, group)
    assert len(members) == 1

    await ask_pause(mongo_db, "t1", lease(datetime.now(UTC), 120))
    await eventually(lambda: acknowledged_by(mongo_db, "t1"), lambda acked: acked == members, within=30)
    before = await committed_offsets(settings.common, group)
    figures = await mongo_db["company_figures"].count_documents({})
    await publish(kafka_server, second)
    await asyncio.sleep(5)  # several batch attempts, each refused by the fence
    assert await committed_offsets(settings.common, group) == before, "offsets moved during the pause"
    assert await mongo_db["company_figures"].count_documents({}) == figures, "written during the pause"

    await resume(mongo_db)
    await eventually(lambda: lag(kafka_server, group), lambda behind: behind == 0, within=120)
    assert await mongo_db["company_figures"].count_documents({}) == figures + 5


@dataclass
class Watched:
    """A fresh database reached through a client whose MongoDB commands are counted."""

    db: AsyncDatabase[Document]
    registry: CollectorRegistry

    def control_reads(self) -> float:
        """How many finds `agg_control` has answered so far."""
        labels = {"command": "find", "collection": "agg_control", "outcome": "ok"}
        return self.registry.get_sample_value("hub_mongo_command_seconds_count", labels) or 0.0


@pytest.fixture
async def watched(mongo_server: MongoServer) -> AsyncIterator[Watched]:
    registry = CollectorRegistry()
    client = connect(mongo_server.url, app_name="tests", listeners=[MongoCommandMetrics(registry)])
    try:
        yield Watched(database(client, f"test_{uuid.uuid4().hex[:12]}"), registry)
    finally:
        await client.close()


async def test_a_fresh_instance_looks_for_a_pause_itself_before_its_first_batch(watched: Watched) -> None:
    await ask_pause(watched.db, "t-start", lease(datetime.now(UTC), 60))
    fence = SwapFence(watched.db, "fresh", lambda: datetime.now(UTC))

    with pytest.raises(ProjectionsSwappingError):
        await fence.check()  # started in the middle of a swap: it must not write

    assert await acknowledged_by(watched.db, "t-start") == {"fresh"}


async def test_once_the_watcher_has_looked_a_batch_check_asks_the_database_nothing(watched: Watched) -> None:
    fence = SwapFence(watched.db, "live", lambda: datetime.now(UTC))
    assert not await fence.acknowledge()  # the watcher's look: no pause
    reads = watched.control_reads()

    for _ in range(5):
        await fence.check()
    assert watched.control_reads() == reads

    await ask_pause(watched.db, "t-live", lease(datetime.now(UTC), 60))
    await fence.check()  # not seen yet: writes go on until the watcher acknowledges
    assert await fence.acknowledge()
    with pytest.raises(ProjectionsSwappingError):
        await fence.check()
    await resume(watched.db)
    assert not await fence.acknowledge()
    await fence.check()  # the pause ended: writes resume
