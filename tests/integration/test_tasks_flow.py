"""Tasks through the real broker and server: the gateway's API, the tasks service, the aggregator.

A task created, reassigned and completed changes both accountants' rows and lists exactly once,
even when every task event is delivered again; an accountant not granted the company gets 404.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from services.aggregator.main import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.gateway.main import create_app as create_gateway
from services.gateway.settings import AccountSeed, GatewaySettings
from services.gateway.tasks_client import TasksClient
from services.tasks.main import create_app as create_tasks
from services.tasks.settings import TasksSettings
from shared.events import EventBase, encode_event
from shared.ids import AccountantId, CompanyId, row_id
from shared.mongo import Document
from shared.settings import ServiceSettings
from shared.topics import ACCESS_EVENTS, COMPANY_RECORDS, TASKS_EVENTS
from tests.builders import NOW, company_discovered, granted
from tests.waiting import eventually

pytestmark = pytest.mark.integration
PASSWORD = "correct-horse-battery"
YESTERDAY = (NOW.date() - timedelta(days=1)).isoformat()


@dataclass
class Hub:
    """The three services in this process, one API client per accountant, and the database."""

    anna: httpx.AsyncClient
    ben: httpx.AsyncClient
    eve: httpx.AsyncClient
    emails: dict[str, AccountantId]
    company: CompanyId
    db: AsyncDatabase[Document]


async def signed_in(app: Any, email: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub")
    response = await client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


@pytest.fixture
async def hub(
    kafka_server: KafkaServer, mongo_server: MongoServer, mongo_db: AsyncDatabase[Document]
) -> AsyncIterator[Hub]:
    suffix = uuid.uuid4().hex[:8]
    emails = {name: AccountantId(f"{name}-{suffix}@firm.example") for name in ("anna", "ben", "eve")}
    common = ServiceSettings(
        kafka_bootstrap_servers=kafka_server.bootstrap_servers,
        mongo_url=mongo_server.url,
        mongo_database=mongo_db.name,
    )
    aggregator = create_aggregator(
        AggregatorSettings(common=common, group_id=f"agg-{suffix}"), now=lambda: NOW
    )
    tasks = create_tasks(TasksSettings(common=common, group_id=f"tasks-{suffix}"), now=lambda: NOW)
    gateway = create_gateway(
        GatewaySettings(
            common=common,
            seed_accounts=tuple(AccountSeed(email=e, password=PASSWORD) for e in emails.values()),
            secure_cookies=False,
        )
    )
    company = CompanyId(f"company-{suffix}")
    async with (
        aggregator.router.lifespan_context(aggregator),
        tasks.router.lifespan_context(tasks),
        gateway.router.lifespan_context(gateway),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=tasks), base_url="http://tasks") as to_tasks,
    ):
        gateway.state.tasks_client = TasksClient(to_tasks)
        await publish(kafka_server, COMPANY_RECORDS, company_discovered(company, 1))
        await publish(
            kafka_server,
            ACCESS_EVENTS,
            granted(company, 2, emails["anna"]),
            granted(company, 3, emails["ben"]),
        )
        await eventually(
            lambda: mongo_db["task_grants"].count_documents({"company_id": company}), lambda n: n == 2
        )
        clients = [await signed_in(gateway, emails[name]) for name in ("anna", "ben", "eve")]
        try:
            yield Hub(clients[0], clients[1], clients[2], emails=emails, company=company, db=mongo_db)
        finally:
            for client in clients:
                await client.aclose()


async def publish(kafka_server: KafkaServer, topic: str, *events: EventBase) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_server.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(topic, encode_event(event), key=event.company_id.encode())
    finally:
        await producer.stop()


async def redeliver_task_events(kafka_server: KafkaServer, company: CompanyId) -> int:
    """Send every task event of the company again, oldest last (a stale redelivery)."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka_server.bootstrap_servers, acks="all")
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_server.bootstrap_servers, enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    key = company.encode()
    values: list[bytes] = []
    try:
        partitions = [
            TopicPartition(TASKS_EVENTS, p) for p in sorted(await producer.partitions_for(TASKS_EVENTS))
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [p for p, end in ends.items() if await consumer.position(p) < end]:
            batches = await consumer.getmany(timeout_ms=1000)
            values += [r.value for rs in batches.values() for r in rs if r.key == key and r.value]
        for value in [*values, *reversed(values)]:
            await producer.send_and_wait(TASKS_EVENTS, value, key=key)
    finally:
        await consumer.stop()
        await producer.stop()
    return len(values)


async def counts(hub: Hub, name: str) -> tuple[int, int] | None:
    row = await hub.db["dashboard_rows"].find_one({"_id": row_id(hub.emails[name], hub.company)})
    return None if row is None else (row.get("my_tasks", -1), row.get("my_overdue_tasks", -1))


async def listed(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/api/v1/my-tasks")
    assert response.status_code == 200, response.text
    return [t["title"] for t in response.json()["tasks"]]


async def test_created_reassigned_and_completed_task_moves_between_rows_and_lists_exactly_once(
    hub: Hub, kafka_server: KafkaServer
) -> None:
    body = {"title": "File the VAT return", "assignee": hub.emails["anna"], "due_date": YESTERDAY}
    created = await hub.anna.post(f"/api/v1/companies/{hub.company}/tasks", json=body)
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    await eventually(lambda: counts(hub, "anna"), lambda c: c == (1, 1))
    assert await listed(hub.anna) == ["File the VAT return"]
    assert (await hub.anna.get("/api/v1/my-tasks", params={"overdue": "true"})).json()["tasks"][0]["overdue"]

    moved = await hub.anna.patch(f"/api/v1/tasks/{task_id}", json={"assignee": hub.emails["ben"]})
    assert moved.status_code == 200, moved.text
    await eventually(lambda: counts(hub, "ben"), lambda c: c == (1, 1))
    assert await counts(hub, "anna") == (0, 0)
    assert (await listed(hub.anna), await listed(hub.ben)) == ([], ["File the VAT return"])

    done = await hub.ben.post(f"/api/v1/tasks/{task_id}/complete")
    assert done.json()["status"] == "done"
    await eventually(lambda: counts(hub, "ben"), lambda c: c == (0, 0))
    assert await listed(hub.ben) == []

    assert await redeliver_task_events(kafka_server, hub.company) == 3
    marker = {
        "title": "Close the month",
        "assignee": hub.emails["anna"],
        "due_date": date(2100, 1, 1).isoformat(),
    }
    assert (await hub.anna.post(f"/api/v1/companies/{hub.company}/tasks", json=marker)).status_code == 201
    await eventually(lambda: counts(hub, "anna"), lambda c: c == (1, 0))
    assert await counts(hub, "ben") == (0, 0)
    assert (await listed(hub.anna), await listed(hub.ben)) == (["Close the month"], [])


async def test_accountant_cannot_create_read_or_complete_a_task_in_a_company_not_granted_to_them(
    hub: Hub,
) -> None:
    mine = {"title": "Peek", "assignee": hub.emails["eve"]}
    refused = await hub.eve.post(f"/api/v1/companies/{hub.company}/tasks", json=mine)
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    body = {"title": "Reconcile the bank", "assignee": hub.emails["anna"]}
    task_id = (await hub.anna.post(f"/api/v1/companies/{hub.company}/tasks", json=body)).json()["id"]
    await eventually(lambda: counts(hub, "anna"), lambda c: c == (1, 0))
    # The row and the My Tasks list are written one after the other: wait for the list too.
    await eventually(lambda: listed(hub.anna), lambda titles: titles == ["Reconcile the bank"])
    assert (await hub.eve.post(f"/api/v1/tasks/{task_id}/complete")).status_code == 404
    assert (await hub.eve.patch(f"/api/v1/tasks/{task_id}", json={"priority": "high"})).status_code == 404
    assert await listed(hub.eve) == []
    assert await listed(hub.anna) == ["Reconcile the bank"]


async def test_assigning_to_someone_not_granted_the_company_is_refused_naming_the_assignee(hub: Hub) -> None:
    body = {"title": "Reconcile the bank", "assignee": hub.emails["eve"]}
    response = await hub.anna.post(f"/api/v1/companies/{hub.company}/tasks", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["assignee"]
