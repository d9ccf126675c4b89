"""Session-wide real servers: Apache Kafka (KRaft) and the MongoDB-wire server, on free ports.

Started lazily (only tests that ask for them pay for them) and stopped by PID at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.kafka import KafkaServer, start_kafka
from deploy.local.mongo import MongoServer, start_mongo
from shared.mongo import Document, connect, database
from shared.topics import project_topics
from tests.aggregator_load import AggregatorProcess

TEST_PARTITIONS = 3


@pytest.fixture(scope="session")
def kafka_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaServer]:
    """A real single-node Kafka with the project's topics."""
    server = start_kafka(tmp_path_factory.mktemp("kafka"), project_topics(TEST_PARTITIONS))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoServer]:
    """A real MongoDB-wire server (SecantusDB) with on-disk storage."""
    directory = tmp_path_factory.mktemp("mongo")
    server = start_mongo(directory / "db", log_path=directory / "mongo.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def mongo_client(mongo_server: MongoServer) -> AsyncIterator[AsyncMongoClient[Document]]:
    """One async client for the session."""
    client = connect(mongo_server.url, app_name="tests")
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def mongo_db(mongo_client: AsyncMongoClient[Document]) -> AsyncDatabase[Document]:
    """A fresh database per test, so tests never see each other's documents."""
    return database(mongo_client, f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def processes() -> Iterator[list[AggregatorProcess]]:
    """Aggregator processes started by the test, stopped (by PID) at its end."""
    started: list[AggregatorProcess] = []
    try:
        yield started
    finally:
        for process in started:
            process.stop()
