"""Sync's webhook trigger against the BC simulator over HTTP (both apps in-process): subscriptions are
created through the validationToken handshake and kept renewed, and a change in the client's books
reaches sync and is published without any poll running, pulling only the entity sets notified; a
notification with a foreign clientState or a malformed body is refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from deploy.local.bc_simulator import SimulatorSettings
from services.sync.connectors.bc_client import BusinessCentralClient
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.connectors.business_central import BusinessCentralConnector
from services.sync.directory import CompanyDirectory
from services.sync.handlers import SyncContext
from services.sync.notified import Notified
from services.sync.publishing import Outbox
from services.sync.refresh import RefreshHandler
from services.sync.settings import ClientConnection
from services.sync.subscriptions import ENTITY_SETS, SubscriptionKeeper
from services.sync.webhooks import PATH, WebhookSyncs, webhook_router
from shared.events import CompanySyncSucceeded, SalesInvoiceChanged
from shared.ids import CompanyId
from tests.bc_simulator_support import BASE_URL, Bc, simulator
from tests.sync_fakes import InMemorySyncStateStore, RecordingSink
from tests.waiting import eventually

SYNC_URL = "http://sync.test"
NOTIFICATION_URL = SYNC_URL + PATH
SECRET = "webhook-secret-of-the-test"


@dataclass
class Wired:
    """The simulator, sync's webhook endpoint (the simulator's webhook transport) and what sync published."""

    bc: Bc
    sync: httpx.AsyncClient
    connector: BusinessCentralConnector
    keeper: SubscriptionKeeper
    sink: RecordingSink
    syncs: WebhookSyncs
    refreshed: list[str]
    pulled: list[Notified]
    """Per sync, what it was to pull."""


@asynccontextmanager
async def wired() -> AsyncIterator[Wired]:
    contexts: list[SyncContext] = []
    directory = CompanyDirectory()
    store, sink = InMemorySyncStateStore(), RecordingSink()
    outbox = Outbox(store, sink)
    refreshed: list[str] = []
    pulled: list[Notified] = []
    holder: dict[str, Any] = {}

    async def refresh(command: Any, notified: Notified) -> None:
        refreshed.append(command.company_id)
        pulled.append(notified)
        await RefreshHandler(lambda: contexts, directory, outbox, holder["clock"])(command, notified)

    syncs = WebhookSyncs(refresh)
    sync_app = FastAPI()
    sync_app.include_router(webhook_router(SecretStr(SECRET), syncs))
    transport = httpx.ASGITransport(app=sync_app)
    async with (
        simulator(
            SimulatorSettings(notification_delay_seconds=0.05, notification_retry_seconds=0.05),
            lifespan=True,
            transport=transport,
        ) as bc,
        httpx.AsyncClient(transport=transport, base_url=SYNC_URL) as sync,
    ):
        holder["clock"] = bc.clock
        info = (await bc.companies())[0]
        connection = ClientConnection(
            client_id="contoso",
            client_name="Contoso",
            tenant=str(info["tenantId"]),
            environment=str(info["environment"]),
            api_base_url=BASE_URL,
            login_base_url=BASE_URL,
            oauth_client_id="accountant-hub",
            oauth_client_secret=SecretStr("local-secret"),
        )
        client = BusinessCentralClient(bc.http, connection, 5, SlidingWindowBudget(6000, 300))
        connector = BusinessCentralConnector(client, connection)
        contexts.append(SyncContext(connection, connector, store, outbox, bc.clock, timedelta(minutes=1)))
        keeper = SubscriptionKeeper(NOTIFICATION_URL, SecretStr(SECRET), timedelta(days=1), bc.clock)
        yield Wired(bc, sync, connector, keeper, sink, syncs, refreshed, pulled)
        await syncs.drain()


def notification(client_state: str, resource: str, change_type: str = "updated") -> dict[str, Any]:
    return {
        "value": [
            {
                "subscriptionId": "s1",
                "clientState": client_state,
                "resource": resource,
                "changeType": change_type,
                "lastModifiedDateTime": "2026-11-25T10:00:00Z",
            }
        ]
    }


async def test_the_keeper_subscribes_through_the_handshake_then_renews_and_recreates() -> None:
    async with wired() as w:
        companies = await w.connector.list_companies()

        first = await w.keeper.keep(w.connector, companies)
        again = await w.keeper.keep(w.connector, companies)
        live = await w.connector.subscriptions()

        assert (first.created, first.failed) == (len(companies) * len(ENTITY_SETS), 0)
        assert (again.created, again.renewed, again.kept) == (0, 0, len(companies) * len(ENTITY_SETS))
        assert {s.notification_url for s in live} == {NOTIFICATION_URL}
        assert {s.resource.rsplit("/", 1)[1] for s in live} == set(ENTITY_SETS)

        w.bc.clock.advance(timedelta(days=2, hours=1).total_seconds())  # within a day of expiry
        renewed = await w.keeper.keep(w.connector, companies)
        after_renewal = await w.connector.subscriptions()

        assert (renewed.renewed, renewed.created, renewed.failed) == (len(live), 0, 0)
        assert {s.id for s in after_renewal} == {s.id for s in live}
        assert min(s.expires_at for s in after_renewal) > max(s.expires_at for s in live)

        w.bc.clock.advance(timedelta(days=4).total_seconds())  # every one expired: gone
        recreated = await w.keeper.keep(w.connector, companies)

        assert (recreated.created, recreated.failed) == (len(live), 0)
        assert not {s.id for s in await w.connector.subscriptions()} & {s.id for s in live}


async def test_a_new_invoice_in_the_simulator_is_published_by_a_webhook_sync_with_no_poll_running() -> None:
    async with wired() as w:
        companies = await w.connector.list_companies()
        company = companies[0]
        await w.keeper.keep(w.connector, [company])
        w.bc.clock.advance(1)

        created = await w.bc.control(f"/companies/{company.id}/salesInvoices", json={})

        def published_invoice_ids() -> set[str]:
            return {e.invoice.id for e in w.sink.of_type(SalesInvoiceChanged, CompanyId(company.id))}

        async def read() -> set[str]:
            return published_invoice_ids()

        await eventually(read, lambda ids: str(created["id"]) in ids, within=10)
        statuses = w.sink.of_type(CompanySyncSucceeded, CompanyId(company.id))
        assert set(w.refreshed) == {company.id}
        assert {s.correlation_id.split(":")[0] for s in statuses} == {"webhook"}
        # Posting an invoice also posts its G/L entries; the other feeds wait for their own notice.
        pulled = w.pulled[0].entity_sets
        assert pulled is not None
        assert "salesInvoices" in pulled
        assert pulled <= {"salesInvoices", "generalLedgerEntries"}


async def test_the_handshake_echoes_the_validation_token_as_plain_text() -> None:
    async with wired() as w:
        response = await w.sync.post(PATH, params={"validationToken": "tok-123"})

        assert response.status_code == 200
        assert response.text == "tok-123"
        assert response.headers["content-type"].startswith("text/plain")


async def test_a_notification_with_a_foreign_client_state_is_refused_and_syncs_nothing() -> None:
    async with wired() as w:
        company_id = (await w.connector.list_companies())[0].id
        resource = f"api/v2.0/companies({company_id})/salesInvoices(x)"

        response = await w.sync.post(PATH, json=notification("not-the-secret", resource))
        await w.syncs.drain()

        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["field"] == "value.0.clientState"
        assert w.refreshed == []
        assert w.sink.events() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"value": [{"clientState": SECRET, "resource": "r", "changeType": "updated"}]},
            "value.0.subscriptionId",
        ),
        ({"value": []}, "value"),
        ("not json", ""),
    ],
)
async def test_a_malformed_notification_is_a_400_naming_the_field(body: Any, field: str) -> None:
    async with wired() as w:
        content = body if isinstance(body, str) else None
        response = await w.sync.post(PATH, json=None if content else body, content=content)

        assert response.status_code == 400
        assert field in response.json()["detail"]
        assert w.refreshed == []


async def test_a_notice_naming_no_company_is_a_400_on_its_resource() -> None:
    async with wired() as w:
        response = await w.sync.post(PATH, json=notification(SECRET, "api/v2.0/customers"))

        assert response.status_code == 400
        assert response.json()["field"] == "value.0.resource"


async def test_notices_for_one_company_sync_it_once_per_post_and_answer_202() -> None:
    async with wired() as w:
        company_id = (await w.connector.list_companies())[0].id
        body = notification(SECRET, f"api/v2.0/companies({company_id})/salesInvoices(a)")
        body["value"] *= 3

        response = await w.sync.post(PATH, json=body)
        await w.syncs.drain()

        assert response.status_code == 202
        assert w.refreshed == [company_id]


async def test_a_post_naming_several_entity_sets_of_a_company_pulls_all_of_them_in_one_sync() -> None:
    async with wired() as w:
        company_id = (await w.connector.list_companies())[0].id
        base = f"api/v2.0/companies({company_id})"
        body = notification(SECRET, f"{base}/salesInvoices(a)")
        body["value"] += notification(SECRET, f"{base}/generalLedgerEntries?$filter=x")["value"]

        response = await w.sync.post(PATH, json=body)
        await w.syncs.drain()

        assert response.status_code == 202
        assert w.pulled == [Notified(frozenset({"salesInvoices", "generalLedgerEntries"}))]


async def test_a_notice_of_a_deleted_record_has_its_pass_list_that_entity_set() -> None:
    async with wired() as w:
        company_id = (await w.connector.list_companies())[0].id
        base = f"api/v2.0/companies({company_id})"
        body = notification(SECRET, f"{base}/salesQuotes(q1)", change_type="deleted")
        body["value"] += notification(SECRET, f"{base}/salesOrders(o1)", change_type="created")["value"]

        response = await w.sync.post(PATH, json=body)
        await w.syncs.drain()

        assert response.status_code == 202
        assert w.pulled == [Notified(frozenset({"salesQuotes", "salesOrders"}), frozenset({"salesQuotes"}))]


@dataclass
class HeldSyncs:
    """Webhook syncs whose first pass waits for `release`, so notices can arrive while it runs."""

    syncs: WebhookSyncs
    release: asyncio.Event
    calls: list[Notified]

    async def after_the_first_pass(self, *notices: Notified) -> None:
        company = CompanyId("c-busy")
        self.syncs.request(company, "webhook:first", Notified(frozenset({"salesInvoices"})))
        await asyncio.sleep(0)
        for index, notified in enumerate(notices):
            self.syncs.request(company, f"webhook:{index}", notified)
        self.release.set()
        await self.syncs.drain()


def held_syncs() -> HeldSyncs:
    calls: list[Notified] = []
    release = asyncio.Event()

    async def refresh(command: Any, notified: Notified) -> None:
        calls.append(notified)
        await release.wait()

    return HeldSyncs(WebhookSyncs(refresh), release, calls)


async def test_notices_arriving_during_a_sync_coalesce_into_one_more_pass_of_what_they_named() -> None:
    held = held_syncs()

    await held.after_the_first_pass(
        Notified(frozenset({"salesQuotes"}), frozenset({"salesQuotes"})),
        Notified(frozenset({"generalLedgerEntries"})),
    )

    assert held.calls == [
        Notified(frozenset({"salesInvoices"})),
        Notified(frozenset({"salesQuotes", "generalLedgerEntries"}), frozenset({"salesQuotes"})),
    ], "one more pass of every entity set named, listing the one a record was deleted from"


async def test_a_notice_whose_entity_set_cannot_be_told_makes_the_coalesced_pass_pull_everything() -> None:
    held = held_syncs()

    await held.after_the_first_pass(Notified(None), Notified(frozenset({"salesQuotes"})))

    assert held.calls == [Notified(frozenset({"salesInvoices"})), Notified(None)]
