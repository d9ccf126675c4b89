"""While a replay asks for a pause, the live aggregator acknowledges it, writes nothing and commits
nothing; when the pause ends it applies what arrived meanwhile."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from services.aggregator.fence import acknowledged_by, ask_pause, lease, resume
from services.aggregator.offsets import committed_offsets, group_members
from shared.mongo import Document
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
