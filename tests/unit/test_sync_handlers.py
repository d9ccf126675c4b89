"""Sync announces what changed in a client's books, in order and once, and shows failures on the row."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.sync.connectors.base import RemoteCompany
from services.sync.handlers import SyncContext, sync_company
from services.sync.poller import sync_connection
from services.sync.publishing import Outbox
from services.sync.settings import ClientConnection
from shared.events import (
    AccessGranted,
    AccessRevoked,
    CompanyDiscovered,
    CompanySyncFailed,
    CompanySyncSucceeded,
    SalesInvoiceChanged,
)
from shared.ids import CompanyId
from shared.records import SalesInvoice, SalesInvoiceStatus
from shared.topics import ACCESS_EVENTS, COMPANY_RECORDS, COMPANY_SYNC_STATUS
from tests.builders import NOW, sales_invoice
from tests.sync_fakes import InMemorySyncStateStore, MovableClock, RecordingSink, ScriptedConnector

HEARTBEAT = timedelta(minutes=1)
SOON = timedelta(seconds=5)
ANN, BOB = "Ann.Smith@Firm.example ", "bob@firm.example"


def client_connection(**overrides: Any) -> ClientConnection:
    """Client "Contoso Holdings" in Europe/London, granted to Ann and Bob, unless overridden."""
    fields: dict[str, Any] = {
        "client_id": "contoso",
        "client_name": "Contoso Holdings",
        "tenant": "contoso-tenant",
        "oauth_client_id": "accountant-hub",
        "oauth_client_secret": "local-secret",
        "time_zone": "Europe/London",
        "granted_to": (ANN, BOB),
    }
    fields.update(overrides)
    return ClientConnection(**fields)


def remote_company(**overrides: Any) -> RemoteCompany:
    """A company with a random id, named "Contoso Ltd", unless overridden."""
    company_id = overrides.pop("id", str(uuid.uuid4()))
    fields: dict[str, Any] = {
        "name": "Contoso Ltd",
        "web_url": f"https://businesscentral.dynamics.com/contoso-tenant/production/?company={company_id}",
    }
    fields.update(overrides)
    return RemoteCompany(id=company_id, **fields)


@dataclass
class World:
    """One client connection synced against scripted books, with the events it published."""

    connector: ScriptedConnector
    store: InMemorySyncStateStore
    sink: RecordingSink
    clock: MovableClock
    ctx: SyncContext
    known: dict[str, RemoteCompany]

    async def sync(self, company: RemoteCompany) -> list[Any]:
        """Sync one company; the events this sync published."""
        before = len(self.sink.published)
        await sync_company(self.ctx, company)
        return [event for _, event in self.sink.published[before:]]

    async def poll(self) -> list[Any]:
        """One poller pass over the connection; the events it published."""
        before = len(self.sink.published)
        await sync_connection(self.ctx, self.known)
        return [event for _, event in self.sink.published[before:]]

    def reconnect(self, connection: ClientConnection) -> None:
        """The connection's settings changed (e.g. who it is granted to); the state store stays."""
        self.ctx = replace(self.ctx, connection=connection)


@pytest.fixture
def world() -> World:
    connector, store, sink, clock = (
        ScriptedConnector(),
        InMemorySyncStateStore(),
        RecordingSink(),
        MovableClock(NOW),
    )
    ctx = SyncContext(
        connection=client_connection(),
        connector=connector,
        store=store,
        outbox=Outbox(store, sink),
        now=clock,
        heartbeat=HEARTBEAT,
    )
    return World(connector, store, sink, clock, ctx, known={})


def invoices(count: int) -> list[SalesInvoice]:
    """`count` invoices changed one minute apart, the newest an hour before NOW."""
    start = NOW - timedelta(hours=1, minutes=count)
    return [
        sales_invoice(number=f"S-INV-{1001 + n}", last_modified_at=start + timedelta(minutes=n + 1))
        for n in range(count)
    ]


def sales_invoice_id(world: World, company: RemoteCompany) -> str:
    """The id of the company's oldest invoice."""
    return min(world.connector.invoices[company.id].values(), key=lambda i: i.last_modified_at).id


def kinds(events: list[Any]) -> Counter[str]:
    return Counter(e.event_type for e in events)


async def test_first_sync_announces_the_company_every_invoice_each_grant_and_a_success(world: World) -> None:
    books = invoices(5)
    company = world.connector.add_company(remote_company(name="Contoso Ltd"), *books)

    published = await world.sync(company)

    assert kinds(published) == {
        "company.discovered": 1,
        "sales_invoice.changed": 5,
        "access.granted": 2,
        "aged_payables.reported": 1,
        "aged_receivables.reported": 1,
        "company_sync.succeeded": 1,
    }
    (discovered,) = world.sink.of_type(CompanyDiscovered)
    assert discovered.company.model_dump() == {
        "client_id": "contoso",
        "client_name": "Contoso Holdings",
        "company_name": "Contoso Ltd",
        "time_zone": "Europe/London",
        "web_url": company.web_url,
    }
    assert {e.invoice.id: e.invoice for e in world.sink.of_type(SalesInvoiceChanged)} == {
        i.id: i for i in books
    }
    assert {e.accountant_id for e in world.sink.of_type(AccessGranted)} == {
        "ann.smith@firm.example",
        "bob@firm.example",
    }
    (succeeded,) = world.sink.of_type(CompanySyncSucceeded)
    assert succeeded.synced_at == NOW
    assert {e.company_id for e in published} == {company.id}


async def test_each_event_goes_to_its_topic(world: World) -> None:
    await world.sync(world.connector.add_company(remote_company(), *invoices(2)))

    assert world.sink.topics_of(CompanyDiscovered) == {COMPANY_RECORDS}
    assert world.sink.topics_of(SalesInvoiceChanged) == {COMPANY_RECORDS}
    assert world.sink.topics_of(AccessGranted) == {ACCESS_EVENTS}
    assert world.sink.topics_of(CompanySyncSucceeded) == {COMPANY_SYNC_STATUS}


async def test_a_company_with_its_own_time_zone_is_discovered_in_that_zone(world: World) -> None:
    company = world.connector.add_company(remote_company())
    world.reconnect(client_connection(company_time_zones={company.id: "America/New_York"}))

    await world.sync(company)

    (discovered,) = world.sink.of_type(CompanyDiscovered)
    assert discovered.company.time_zone == "America/New_York"


async def test_seqs_are_unique_and_increase_per_company_across_passes(world: World) -> None:
    first = world.connector.add_company(remote_company(name="First Ltd"), *invoices(4))
    second = world.connector.add_company(remote_company(name="Second Ltd"), *invoices(3))
    await world.poll()
    world.connector.change(first, sales_invoice_id(world, first), world.clock.advance(SOON), status="Paid")
    await world.poll()
    world.connector.fail(second, "HTTP 503 from the client's system")
    await world.poll()
    world.connector.heal()
    world.clock.advance(HEARTBEAT)
    await world.poll()

    for company in (first, second):
        seqs = [e.seq for e in world.sink.events(CompanyId(company.id))]
        assert len(seqs) >= 4
        assert seqs == sorted(set(seqs)), f"seqs of {company.name} repeat or go backwards: {seqs}"
        assert seqs[0] == 1


async def test_a_second_sync_without_changes_publishes_nothing(world: World) -> None:
    books = invoices(3)
    # Two invoices share the newest stamp: the `ge` watermark returns both again next time.
    boundary = sales_invoice(number="S-INV-2001", last_modified_at=books[-1].last_modified_at)
    company = world.connector.add_company(remote_company(), *books, boundary)
    await world.sync(company)
    world.clock.advance(SOON)

    assert await world.sync(company) == []

    assert world.connector.requests[-1] == (company.id, books[-1].last_modified_at)
    changed = [e.invoice.id for e in world.sink.of_type(SalesInvoiceChanged)]
    assert sorted(changed) == sorted(i.id for i in [*books, boundary])


async def test_a_sync_that_found_nothing_does_not_write_its_unchanged_state(world: World) -> None:
    company = world.connector.add_company(remote_company(), *invoices(2))
    await world.sync(company)
    saved = world.store.saves
    world.clock.advance(SOON)

    await world.sync(company)
    unchanged_saves = world.store.saves
    world.connector.put(company, sales_invoice(last_modified_at=world.clock()))
    await world.sync(company)

    assert unchanged_saves == saved
    assert world.store.saves == saved + 1, "a pass that found a change moves the watermark"


async def test_a_heartbeat_success_is_published_when_nothing_changed_for_a_while(world: World) -> None:
    company = world.connector.add_company(remote_company(), *invoices(2))
    await world.sync(company)
    world.clock.advance(HEARTBEAT - SOON)
    assert await world.sync(company) == []

    later = world.clock.advance(SOON)
    published = await world.sync(company)

    assert [type(e) for e in published] == [CompanySyncSucceeded]
    assert published[0].synced_at == later


async def test_a_changed_invoice_is_published_once_with_a_higher_seq(world: World) -> None:
    books = invoices(3)
    company = world.connector.add_company(remote_company(), *books)
    await world.sync(company)
    highest_so_far = max(e.seq for e in world.sink.events())
    paid = world.connector.change(
        company, books[0].id, world.clock.advance(SOON), status=SalesInvoiceStatus.PAID, remaining_amount=0
    )

    published = await world.sync(company)
    world.clock.advance(SOON)
    again = await world.sync(company)

    assert kinds(published) == {"sales_invoice.changed": 1, "company_sync.succeeded": 1}
    (changed,) = [e for e in published if isinstance(e, SalesInvoiceChanged)]
    assert changed.invoice == paid
    assert changed.invoice.remaining_amount == Decimal(0)
    assert changed.seq > highest_so_far
    assert again == []


async def test_a_renamed_company_is_discovered_again_with_its_new_name(world: World) -> None:
    company = world.connector.add_company(remote_company(name="Contoso Ltd"))
    await world.sync(company)

    renamed = world.connector.rename(company, "Contoso Group Ltd")
    published = await world.sync(renamed)

    discovered = [e for e in published if isinstance(e, CompanyDiscovered)]
    assert [e.company.company_name for e in discovered] == ["Contoso Group Ltd"]


async def test_a_failing_client_system_shows_its_reason_once(world: World) -> None:
    company = world.connector.add_company(remote_company(), *invoices(2))
    await world.sync(company)
    world.connector.fail(company, "HTTP 503 from the client's system (Unavailable)")

    failed_at = world.clock.advance(SOON)
    published = await world.sync(company)
    world.clock.advance(SOON)
    again = await world.sync(company)

    assert [type(e) for e in published] == [CompanySyncFailed]
    assert published[0].reason == "HTTP 503 from the client's system (Unavailable)"
    assert published[0].failed_at == failed_at
    assert again == []


async def test_a_lasting_failure_is_repeated_at_the_heartbeat(world: World) -> None:
    company = world.connector.add_company(remote_company())
    world.connector.fail(company, "HTTP 503 from the client's system (Unavailable)")
    await world.sync(company)

    world.clock.advance(HEARTBEAT)
    published = await world.sync(company)

    assert [(type(e), e.reason) for e in published] == [
        (CompanySyncFailed, "HTTP 503 from the client's system (Unavailable)")
    ]


async def test_a_different_failure_reason_is_shown_straight_away(world: World) -> None:
    company = world.connector.add_company(remote_company())
    world.connector.fail(company, "HTTP 503 from the client's system (Unavailable)")
    await world.sync(company)

    world.connector.fail(company, "HTTP 403 from the client's system (Forbidden)")
    world.clock.advance(SOON)
    published = await world.sync(company)

    assert [e.reason for e in published] == ["HTTP 403 from the client's system (Forbidden)"]


async def test_a_client_system_that_does_not_answer_is_shown_as_such(world: World) -> None:
    company = world.connector.add_company(remote_company())
    world.connector.fail(company, httpx.ConnectTimeout("timed out"))

    published = await world.sync(company)

    assert [type(e) for e in published] == [CompanySyncFailed]
    assert published[0].reason.startswith("the client's system did not answer (ConnectTimeout)")


async def test_the_next_good_sync_after_a_failure_publishes_success_and_clears_the_error(
    world: World,
) -> None:
    company = world.connector.add_company(remote_company(), *invoices(2))
    await world.sync(company)
    world.connector.fail(company, "HTTP 503 from the client's system (Unavailable)")
    await world.sync(company)

    world.connector.heal()
    recovered_at = world.clock.advance(SOON)
    recovered = await world.sync(company)
    world.connector.fail(company, "HTTP 503 from the client's system (Unavailable)")
    world.clock.advance(SOON)
    failed_again = await world.sync(company)

    assert [(type(e), e.synced_at) for e in recovered] == [(CompanySyncSucceeded, recovered_at)]
    assert [type(e) for e in failed_again] == [CompanySyncFailed]


async def test_when_the_company_list_fails_every_known_company_shows_the_failure(world: World) -> None:
    first = world.connector.add_company(remote_company(name="First Ltd"), *invoices(2))
    second = world.connector.add_company(remote_company(name="Second Ltd"))
    await world.poll()
    world.connector.fail_listing("HTTP 401 from the client's system (Authentication_InvalidCredentials)")

    world.clock.advance(SOON)
    published = await world.poll()
    world.clock.advance(SOON)
    again = await world.poll()

    assert sorted((e.company_id, type(e), e.reason) for e in published) == sorted(
        (
            CompanyId(c.id),
            CompanySyncFailed,
            "HTTP 401 from the client's system (Authentication_InvalidCredentials)",
        )
        for c in (first, second)
    )
    assert again == []


async def test_a_company_list_failure_is_shown_even_when_its_message_is_long(world: World) -> None:
    company = world.connector.add_company(remote_company())
    await world.poll()
    world.connector.fail_listing("HTTP 400 from the client's system (BadRequest: " + "x" * 600 + ")")

    world.clock.advance(SOON)
    published = await world.poll()

    assert [(e.company_id, type(e)) for e in published] == [(company.id, CompanySyncFailed)]
    assert published[0].reason.startswith("HTTP 400 from the client's system")


async def test_grants_are_announced_once(world: World) -> None:
    company = world.connector.add_company(remote_company(), *invoices(2))
    await world.sync(company)
    world.connector.change(company, sales_invoice_id(world, company), world.clock.advance(SOON), number="X")
    await world.sync(company)
    world.clock.advance(HEARTBEAT)
    await world.sync(company)

    world.reconnect(client_connection(granted_to=(ANN, BOB, "Cara@Firm.example")))
    world.clock.advance(SOON)
    await world.sync(company)

    granted = [e.accountant_id for e in world.sink.of_type(AccessGranted)]
    assert sorted(granted) == ["ann.smith@firm.example", "bob@firm.example", "cara@firm.example"]
    assert granted[-1] == "cara@firm.example"


async def test_an_accountant_removed_from_the_connection_loses_access(world: World) -> None:
    company = world.connector.add_company(remote_company())
    await world.sync(company)

    world.reconnect(client_connection(granted_to=(ANN,)))
    world.clock.advance(SOON)
    published = await world.sync(company)

    assert [e.accountant_id for e in published if isinstance(e, AccessRevoked)] == ["bob@firm.example"]
