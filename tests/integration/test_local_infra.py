"""The local launchers start real servers: Apache Kafka (KRaft) and SecantusDB, on free ports."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from deploy.local.kafka import KafkaServer, start_kafka
from deploy.local.mongo import MongoServer, start_mongo
from shared.topics import COMPANY_RECORDS, project_topics

pytestmark = pytest.mark.integration

PARTITIONS = 3
CONSUME_SECONDS = 30


@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaServer]:
    server = start_kafka(tmp_path_factory.mktemp("kafka"), project_topics(PARTITIONS))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mongo_storage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mongo") / "db"


async def produce(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"company-1")
    finally:
        await producer.stop()


async def consumed(bootstrap: str, topic: str, wanted: bytes) -> bool:
    """Whether a fresh consumer group reads `wanted` from the start of `topic` within 30 s."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(CONSUME_SECONDS):
            async for message in consumer:
                if message.value == wanted:
                    return True
    except TimeoutError:
        return False
    finally:
        await consumer.stop()
    return False


def test_kafka_listens_on_a_free_loopback_port(kafka: KafkaServer) -> None:
    assert kafka.bootstrap_servers == f"127.0.0.1:{kafka.port}"
    assert kafka.port != 9092
    assert kafka.process.alive
    assert (kafka.data_dir / "kafka.out").exists()


async def test_project_topics_exist_with_their_partition_counts(kafka: KafkaServer) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([t.name for t in project_topics(PARTITIONS)])
    finally:
        await admin.close()
    counts = {d["topic"]: len(d["partitions"]) for d in described}
    assert counts == {t.name: t.partitions for t in project_topics(PARTITIONS)}


async def test_an_idempotent_acks_all_message_is_consumed_back(kafka: KafkaServer) -> None:
    value = f"hello-{uuid.uuid4().hex}".encode()
    await produce(kafka.bootstrap_servers, COMPANY_RECORDS, value)
    assert await consumed(kafka.bootstrap_servers, COMPANY_RECORDS, value)


async def test_kafka_keeps_messages_across_a_restart_and_a_crash(kafka: KafkaServer) -> None:
    value = f"durable-{uuid.uuid4().hex}".encode()
    await produce(kafka.bootstrap_servers, COMPANY_RECORDS, value)
    old_pid = kafka.process.pid

    kafka.restart()
    assert kafka.process.pid != old_pid
    assert await consumed(kafka.bootstrap_servers, COMPANY_RECORDS, value)

    kafka.kill()
    assert not kafka.process.alive
    kafka.restart()
    assert await consumed(kafka.bootstrap_servers, COMPANY_RECORDS, value)


async def test_mongo_keeps_an_insert_across_a_stop_and_restart(mongo_storage: Path) -> None:
    server: MongoServer = start_mongo(mongo_storage)
    try:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(server.url)
        await client.hub.things.insert_one({"_id": "a", "n": 1})
        await client.close()

        server.stop()
        assert not server.process.alive
        server.restart()

        client = AsyncMongoClient(server.url)
        assert await client.hub.things.find_one({"_id": "a"}) == {"_id": "a", "n": 1}
        await client.close()
    finally:
        server.stop()


async def test_mongo_in_memory_answers_ping() -> None:
    server = start_mongo()
    try:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(server.url)
        assert (await client.admin.command("ping"))["ok"] == 1
        await client.close()
    finally:
        server.stop()
