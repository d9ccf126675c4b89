"""Replay: every projection rebuilt from the topics into fresh collections and swapped in while the
live aggregator keeps applying new events and the old collections keep serving reads."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from services.aggregator.compare import compare_projections, describe
from services.aggregator.replay import rebuild, replay
from shared.mongo import Document, database
from shared.topics import COMPANY_RECORDS, dead_letter_topic
from tests.aggregator_load import AggregatorProcess, aggregator_settings, interleaved, lag, publish
from tests.faults.tally import assert_nothing_lost, measure, read_topics, record_measured
from tests.waiting import eventually

pytestmark = pytest.mark.integration


async def test_replay_swaps_in_rebuilt_projections_while_live_reads_and_writes_go_on(
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    mongo_db: AsyncDatabase[Document],
    processes: list[AggregatorProcess],
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    events = interleaved(random.Random(20261125), companies=20, changes=40)
    companies = {event.company_id for _, event in events}
    group = f"live-{uuid.uuid4().hex[:6]}"
    live = AggregatorProcess(kafka_server, mongo_server, group, mongo_db.name, tmp_path)
    processes.append(live)
    live.start()
    half = len(events) // 2
    await publish(kafka_server, events[:half])
    poison_key = f"poison-{uuid.uuid4().hex[:8]}".encode()
    await publish_raw(kafka_server, COMPANY_RECORDS, poison_key, b"{not an event")
    await eventually(lambda: lag(kafka_server, group), lambda behind: behind == 0, within=180)

    # A projection bug the replay must mend: a row no event will ever remove.
    victim = sorted(companies)[0]
    await mongo_db["dashboard_rows"].insert_one(
        {"_id": f"ghost|{victim}", "company_id": victim, "accountant_id": "ghost"}
    )
    settings = aggregator_settings(kafka_server, mongo_server, mongo_db.name, group)
    before = database(mongo_db.client, f"{mongo_db.name}_before")
    await rebuild(settings, before.name, within=300)
    found = await compare_projections(mongo_db, before, companies)
    assert [(d.collection, d.company_id, d.document) for d in found] == [
        ("dashboard_rows", victim, f"ghost|{victim}")
    ], describe(found)

    rows_seen: list[int] = []
    stop_reading = asyncio.Event()

    async def read_dashboard() -> None:
        while not stop_reading.is_set():
            rows_seen.append(await mongo_db["dashboard_rows"].count_documents({}))
            await asyncio.sleep(0.05)

    reader = asyncio.create_task(read_dashboard())
    replaying = asyncio.create_task(replay(settings, within=300))
    await publish(kafka_server, events[half:])  # the live aggregator keeps applying while the replay runs
    swapped = await replaying
    stop_reading.set()
    await reader

    assert {"company_figures", "company_details", "dashboard_rows", "my_tasks", "agg_records"} <= set(swapped)
    assert rows_seen
    assert min(rows_seen) > 0, "the dashboard went empty during the replay"
    await eventually(lambda: lag(kafka_server, group), lambda behind: behind == 0, within=180)
    clean = database(mongo_db.client, f"{mongo_db.name}_clean")
    await rebuild(settings, clean.name, within=300)
    differences = await compare_projections(mongo_db, clean, companies)
    assert differences == [], describe(differences)
    assert await mongo_db["dashboard_rows"].find_one({"_id": f"ghost|{victim}"}) is None
    ours = {"company_id": {"$in": sorted(companies)}}  # the session's topics hold other tests' events too
    assert await mongo_db["company_figures"].count_documents(ours) == len(companies)
    parked = [
        r
        for r in await read_topics(kafka_server, [dead_letter_topic(COMPANY_RECORDS)])
        if r.key == poison_key
    ]
    assert len(parked) == 1, (
        "the poison event must be parked once by the live aggregator, not again by each replay"
    )
    measured = await measure(kafka_server, mongo_db, companies, [event for _, event in events])
    assert_nothing_lost(measured)
    record_measured(
        "replay_swap",
        fault="replay swapped in while the live aggregator applies new events and the dashboard is read",
        times="1 swap",
        measured=measured,
        test="tests/integration/test_aggregator_replay.py",
        in_make_test=True,
        seconds=time.monotonic() - started,
    )


async def publish_raw(kafka: KafkaServer, topic: str, key: bytes, value: bytes) -> None:
    """Publish bytes as they are (here: a poison record)."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()
