"""Sync's first webhook subscription pass at scale: subscriptions are created concurrently, but only
`SYNC_WEBHOOK_SUBSCRIBE_CONCURRENCY` at once per environment, so the syncs that share the environment's
request slots (the connector's limiter) are not queued behind hundreds of subscriptions; and every
connection is kept at once (each environment has its own limits)."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from services.sync.connectors.base import RemoteCompany
from services.sync.connectors.bc_client import BusinessCentralClient
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.connectors.business_central import BusinessCentralConnector
from services.sync.directory import CompanyDirectory
from services.sync.handlers import SyncContext
from services.sync.publishing import Outbox
from services.sync.settings import ClientConnection
from services.sync.subscriptions import ENTITY_SETS, SubscriptionKeeper, keep_all
from tests.sync_fakes import InMemorySyncStateStore, RecordingSink

BASE = "http://bc.test"
ANSWER_SECONDS = 0.02
SLOTS = 5  # SYNC_MAX_CONCURRENT_REQUESTS


def now() -> datetime:
    return datetime(2026, 11, 25, 12, tzinfo=UTC)


@dataclass
class FakeEnvironment:
    """A client environment answering every request after ANSWER_SECONDS; counts what is in flight."""

    in_flight: int = 0
    most_subscribing: int = 0
    subscribing: int = 0
    created: list[str] = field(default_factory=list)
    created_when_read: int | None = None
    spans: list[tuple[str, float, float]] = field(default_factory=list)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        started = asyncio.get_running_loop().time()
        creating = request.method == "POST"
        self.subscribing += creating
        self.most_subscribing = max(self.most_subscribing, self.subscribing)
        try:
            await asyncio.sleep(ANSWER_SECONDS)
        finally:
            self.subscribing -= creating
        self.spans.append((request.url.path, started, asyncio.get_running_loop().time()))
        if request.method == "GET" and request.url.path.endswith("/subscriptions"):
            return httpx.Response(200, json={"value": []})
        if request.method == "GET":  # a sync's read
            self.created_when_read = len(self.created)
            return httpx.Response(200, json={"value": []})
        body = json.loads(request.content)
        self.created.append(body["resource"])
        return httpx.Response(201, json=_subscription(body))


def _subscription(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "subscriptionId": uuid.uuid4().hex,
        "resource": body["resource"],
        "notificationUrl": body["notificationUrl"],
        "expirationDateTime": (now() + timedelta(days=3)).isoformat(),
    }


def connection_of(tenant: str) -> ClientConnection:
    return ClientConnection(
        client_id=f"{tenant}/production",
        client_name=tenant,
        tenant=tenant,
        api_base_url=BASE,
        login_base_url=BASE,
        oauth_client_id="accountant-hub",
        oauth_client_secret=SecretStr("local-secret"),
    )


def connected(env: FakeEnvironment, tenant: str) -> BusinessCentralConnector:
    connection = connection_of(tenant)
    http = httpx.AsyncClient(transport=httpx.MockTransport(env.handle))
    client = BusinessCentralClient(http, connection, SLOTS, SlidingWindowBudget(6000, 300))
    return BusinessCentralConnector(client, connection)


def companies(count: int) -> list[RemoteCompany]:
    return [RemoteCompany(str(uuid.uuid4()), f"Company {n}", "http://bc.test/web") for n in range(count)]


def keeper(concurrency: int) -> SubscriptionKeeper:
    return SubscriptionKeeper(
        "http://sync.test/webhooks", SecretStr("s"), timedelta(days=1), now, concurrency
    )


async def test_the_first_pass_creates_every_subscription_with_at_most_its_concurrency_at_once() -> None:
    env = FakeEnvironment()

    outcome = await keeper(concurrency=2).keep(connected(env, "t1"), companies(10))

    assert outcome.created == 10 * len(ENTITY_SETS) == len(set(env.created))
    assert env.most_subscribing == 2  # concurrent, never above its share


async def test_a_sync_during_the_first_subscription_pass_is_not_queued_behind_it() -> None:
    env = FakeEnvironment()
    connector = connected(env, "t1")
    subscribing = asyncio.create_task(keeper(concurrency=2).keep(connector, companies(20)))
    await asyncio.sleep(ANSWER_SECONDS * 3)

    await connector.list_companies()  # a sync's read, through the same request slots

    assert env.created_when_read is not None
    assert env.created_when_read < 20  # of 120: it did not wait for the pass
    assert (await subscribing).created == 20 * len(ENTITY_SETS)


async def test_with_every_slot_given_to_subscriptions_a_sync_waits_behind_them() -> None:
    """The contrast that makes the test above mean something: the limiter's queue is first come."""
    env = FakeEnvironment()
    connector = connected(env, "t1")
    subscribing = asyncio.create_task(keeper(concurrency=120).keep(connector, companies(20)))
    await asyncio.sleep(ANSWER_SECONDS * 3)

    await connector.list_companies()

    assert env.created_when_read is not None
    assert env.created_when_read >= 100
    await subscribing


async def test_every_connection_is_kept_at_once() -> None:
    envs = [FakeEnvironment(), FakeEnvironment()]
    store = InMemorySyncStateStore()
    outbox = Outbox(store, RecordingSink())
    contexts = [
        SyncContext(connection_of(f"t{n}"), connected(env, f"t{n}"), store, outbox, now, timedelta(minutes=1))
        for n, env in enumerate(envs)
    ]
    directory = CompanyDirectory()
    for ctx in contexts:
        directory.known(ctx.connection.client_id).update({c.id: c for c in companies(3)})

    failed = await keep_all(keeper(concurrency=2), contexts, directory)

    assert failed == 0
    assert [len(env.created) for env in envs] == [18, 18]
    first_done = min(max(end for _, _, end in env.spans) for env in envs)
    last_started = max(min(start for _, start, _ in env.spans) for env in envs)
    assert last_started < first_done  # the second environment did not wait for the first
