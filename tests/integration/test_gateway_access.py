"""Access grants through the real broker and the real aggregator: a colleague of the same firm sees the
company after a grant and stops seeing it after a revoke; other firms can neither be granted nor grant."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from services.aggregator.main import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from shared.events import encode_event
from shared.ids import AccountantId, CompanyId
from shared.mongo import Document
from shared.settings import ServiceSettings
from shared.topics import ACCESS_EVENTS, COMPANY_RECORDS
from tests.builders import NOW, company_discovered, granted
from tests.gateway_support import bearer_client, gateway_settings, in_process_gateway, running
from tests.waiting import eventually

pytestmark = pytest.mark.integration
PASSWORD = "correct-horse-battery"


@dataclass
class Firms:
    """Ann and Bob of one firm, Eve of another; Ann was granted one company by sync."""

    ann: httpx.AsyncClient
    bob: httpx.AsyncClient
    eve: httpx.AsyncClient
    bob_email: str
    eve_email: str
    company: CompanyId


async def dashboard_ids(client: httpx.AsyncClient) -> set[str]:
    rows = (await client.get("/api/v1/dashboard")).json()["rows"]
    return {r["company_id"] for r in rows}


@pytest.fixture
async def firms(
    kafka_server: KafkaServer, mongo_server: MongoServer, mongo_db: AsyncDatabase[Document]
) -> AsyncIterator[Firms]:
    tag = uuid.uuid4().hex[:8]
    ann, bob, eve = f"ann-{tag}@firm.example", f"bob-{tag}@firm.example", f"eve-{tag}@rival.example"
    company = CompanyId(str(uuid.uuid4()))
    common = ServiceSettings(
        kafka_bootstrap_servers=kafka_server.bootstrap_servers,
        mongo_url=mongo_server.url,
        mongo_database=mongo_db.name,
    )
    aggregator = create_aggregator(AggregatorSettings(common=common, group_id=f"agg-{tag}"), now=lambda: NOW)
    gateway = in_process_gateway(
        gateway_settings(
            mongo_server.url,
            mongo_db.name,
            {ann: PASSWORD, bob: PASSWORD, eve: PASSWORD},
            kafka_bootstrap_servers=kafka_server.bootstrap_servers,
            progress_group_id=f"progress-{tag}",
        )
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_server.bootstrap_servers, acks="all")
    await producer.start()
    for topic, event in (
        (COMPANY_RECORDS, company_discovered(company, 1)),
        (ACCESS_EVENTS, granted(company, 2, AccountantId(ann))),
    ):
        await producer.send_and_wait(topic, encode_event(event), key=company.encode())
    await producer.stop()
    async with aggregator.router.lifespan_context(aggregator), running(gateway):
        clients = [await bearer_client(gateway, who, PASSWORD) for who in (ann, bob, eve)]
        try:
            await eventually(lambda: dashboard_ids(clients[0]), lambda ids: company in ids)
            yield Firms(clients[0], clients[1], clients[2], bob_email=bob, eve_email=eve, company=company)
        finally:
            for client in clients:
                await client.aclose()


async def test_a_colleague_sees_a_granted_company_until_it_is_revoked(firms: Firms) -> None:
    path = f"/api/v1/companies/{firms.company}/access"
    response = await firms.ann.post(path, json={"accountant": firms.bob_email.upper()})
    assert response.status_code == 202, response.text
    assert response.json() == {
        "company_id": firms.company,
        "accountant": firms.bob_email,
        "change": "granted",
    }
    await eventually(lambda: dashboard_ids(firms.bob), lambda ids: firms.company in ids)
    access = (await firms.ann.get(path)).json()
    assert firms.bob_email in {a["accountant"] for a in access["accountants"]}
    revoked = await firms.ann.delete(f"{path}/{firms.bob_email}")
    assert revoked.status_code == 202
    await eventually(lambda: dashboard_ids(firms.bob), lambda ids: firms.company not in ids)
    assert firms.company in await dashboard_ids(firms.ann)


async def test_a_company_cannot_be_granted_to_another_firm(firms: Firms) -> None:
    response = await firms.ann.post(
        f"/api/v1/companies/{firms.company}/access", json={"accountant": firms.eve_email}
    )
    assert response.status_code == 403
    assert "your firm" in response.json()["detail"]


async def test_nobody_grants_reads_or_revokes_access_to_a_company_that_is_not_theirs(firms: Firms) -> None:
    path = f"/api/v1/companies/{firms.company}/access"
    assert (await firms.eve.post(path, json={"accountant": firms.eve_email})).status_code == 404
    assert (await firms.bob.post(path, json={"accountant": firms.bob_email})).status_code == 404
    assert (await firms.bob.get(path)).status_code == 404
    assert (await firms.eve.delete(f"{path}/{firms.eve_email}")).status_code == 404
    assert firms.company not in await dashboard_ids(firms.bob)
