"""Sync's command consumer on the real broker: a poison command is parked in sync.commands.dlq with
the reason and the next command still runs, answering with the asker's correlation id."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from services.sync.main import create_app
from services.sync.refresh import NOT_FOUND
from services.sync.settings import SyncSettings
from shared.commands import RefreshRequested, encode_command
from shared.ids import CompanyId
from shared.mongo import Document
from shared.settings import ServiceSettings
from shared.topics import COMPANY_SYNC_STATUS, SYNC_COMMANDS, dead_letter_topic

pytestmark = pytest.mark.integration


@pytest.fixture
async def sync(
    kafka_server: KafkaServer, mongo_server: MongoServer, mongo_db: AsyncDatabase[Document]
) -> AsyncIterator[FastAPI]:
    """The sync service in this process, with no client connections and its own consumer group."""
    settings = SyncSettings(
        common=ServiceSettings(
            kafka_bootstrap_servers=kafka_server.bootstrap_servers,
            mongo_url=mongo_server.url,
            mongo_database=mongo_db.name,
        ),
        command_group_id=f"sync-test-{uuid.uuid4().hex[:8]}",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def first(kafka_server: KafkaServer, topic: str, match: bytes) -> tuple[bytes, dict[str, bytes]]:
    """The value and headers of the first message on `topic` whose value contains `match`."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_server.bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while True:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        if match in record.value:
                            return record.value, dict(record.headers)
    finally:
        await consumer.stop()


async def test_a_poison_command_is_parked_and_the_next_one_still_runs(
    sync: FastAPI, kafka_server: KafkaServer
) -> None:
    marker = uuid.uuid4().hex
    company = CompanyId(f"missing-{marker}")
    poison = json.dumps({"event_type": "company.explode_requested", "correlation_id": marker}).encode()
    command = RefreshRequested(company_id=company, correlation_id=f"refresh:{marker}")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_server.bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(SYNC_COMMANDS, poison, key=company.encode())
        await producer.send_and_wait(SYNC_COMMANDS, encode_command(command), key=company.encode())
    finally:
        await producer.stop()

    parked, headers = await first(kafka_server, dead_letter_topic(SYNC_COMMANDS), marker.encode())
    assert parked == poison
    assert headers["dlq_source_topic"] == SYNC_COMMANDS.encode()
    assert b"undecodable" in headers["dlq_reason"]
    answer, _ = await first(kafka_server, COMPANY_SYNC_STATUS, company.encode())
    status = json.loads(answer)
    assert status["event_type"] == "company_sync.failed"
    assert status["correlation_id"] == f"refresh:{marker}"
    assert status["reason"] == NOT_FOUND
