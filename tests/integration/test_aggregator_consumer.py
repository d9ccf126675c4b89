"""The aggregator against the real broker and server: counted once, poison parked, keeps going."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from services.aggregator.main import create_app
from services.aggregator.settings import AggregatorSettings
from shared.events import EventBase, encode_event
from shared.ids import row_id
from shared.mongo import Document
from shared.settings import ServiceSettings
from shared.topics import ACCESS_EVENTS, COMPANY_RECORDS, dead_letter_topic
from tests.builders import NOW, accountant, company_discovered, company_id, granted, sales_invoice_changed
from tests.waiting import WAIT_SECONDS, eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def aggregator(
    kafka_server: KafkaServer, mongo_server: MongoServer, mongo_db: AsyncDatabase[Document]
) -> AsyncIterator[FastAPI]:
    """The aggregator app running in this process, with its own consumer group and database."""
    settings = AggregatorSettings(
        common=ServiceSettings(
            kafka_bootstrap_servers=kafka_server.bootstrap_servers,
            mongo_url=mongo_server.url,
            mongo_database=mongo_db.name,
        ),
        group_id=f"aggregator-test-{uuid.uuid4().hex[:8]}",
    )
    app = create_app(settings, now=lambda: NOW)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def producer(kafka_server: KafkaServer) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_server.bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def send(producer: AIOKafkaProducer, topic: str, *events: EventBase) -> None:
    for event in events:
        await producer.send_and_wait(topic, encode_event(event), key=event.company_id.encode())


async def test_event_delivered_twice_is_counted_once(
    aggregator: FastAPI, producer: AIOKafkaProducer, mongo_db: AsyncDatabase[Document]
) -> None:
    company, who = company_id(), accountant()
    invoice = sales_invoice_changed(company, 3, remaining_amount=Decimal("250.00"))
    later = sales_invoice_changed(company, 4, remaining_amount=Decimal("1.00"), number="S-INV-2")
    await send(producer, ACCESS_EVENTS, granted(company, 2, who))
    await send(producer, COMPANY_RECORDS, company_discovered(company, 1), invoice, invoice, later, invoice)

    row: Any = await eventually(
        lambda: mongo_db["dashboard_rows"].find_one({"_id": row_id(who, company)}),
        lambda doc: doc is not None and doc["overdue_sales_count"] == 2,
    )
    assert row["overdue_sales"] == [{"currency": "GBP", "amount": Decimal("251.00"), "count": 2}]
    assert row["company_name"] == "Contoso Ltd"


async def test_malformed_event_goes_to_the_dead_letter_topic_and_the_consumer_keeps_going(
    aggregator: FastAPI,
    producer: AIOKafkaProducer,
    mongo_db: AsyncDatabase[Document],
    kafka_server: KafkaServer,
) -> None:
    company, who = company_id(), accountant()
    poison = b'{"event_type": "sales_invoice.changed", "company_id": "%s", "seq": "not a number"}' % (
        company.encode()
    )
    await producer.send_and_wait(COMPANY_RECORDS, poison, key=company.encode())
    await producer.send_and_wait(COMPANY_RECORDS, b"\xff not json", key=company.encode())
    await send(producer, ACCESS_EVENTS, granted(company, 2, who))
    await send(producer, COMPANY_RECORDS, company_discovered(company, 1), sales_invoice_changed(company, 3))

    row: Any = await eventually(
        lambda: mongo_db["dashboard_rows"].find_one({"_id": row_id(who, company)}),
        lambda doc: doc is not None and doc["overdue_sales_count"] == 1,
    )
    assert row["overdue_sales"][0]["amount"] == Decimal("100.00")
    parked = await dead_letters_for(kafka_server, company.encode(), expected=2)
    assert {value for value, _ in parked} == {poison, b"\xff not json"}
    for _, headers in parked:
        assert headers["dlq_source_topic"] == COMPANY_RECORDS.encode()
        assert headers["dlq_reason"]
    reasons = {headers["dlq_reason"].decode() for _, headers in parked}
    assert any("seq" in reason for reason in reasons), reasons


async def dead_letters_for(
    kafka: KafkaServer, key: bytes, expected: int
) -> list[tuple[bytes, dict[str, bytes]]]:
    """The dead-lettered messages with `key`, read from the start of the DLQ topic."""
    consumer = AIOKafkaConsumer(
        dead_letter_topic(COMPANY_RECORDS),
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=f"dlq-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[tuple[bytes, dict[str, bytes]]] = []
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            async for message in consumer:
                if message.key == key:
                    found.append((message.value, dict(message.headers)))
                if len(found) == expected:
                    break
    finally:
        await consumer.stop()
    return found
