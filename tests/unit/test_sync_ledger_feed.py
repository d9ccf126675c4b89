"""Sync publishes every posted G/L entry in batches, once, and the aged receivables report."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from services.sync.connectors.base import RemoteCompany
from services.sync.handlers import SyncContext, sync_company
from services.sync.ledger_feed import ENTRIES_PER_EVENT
from services.sync.publishing import Outbox
from services.sync.settings import ClientConnection
from shared.events import AgedReceivablesReported, LedgerEntriesPosted
from shared.ids import CompanyId
from shared.records import LedgerEntry
from tests.builders import NOW
from tests.sync_fakes import InMemorySyncStateStore, MovableClock, RecordingSink, ScriptedConnector

COMPANY = RemoteCompany(id="c-ledger", name="Cronus", web_url="https://bc.example/?company=Cronus")


def entry(number: int, minutes_ago: int) -> LedgerEntry:
    return LedgerEntry(
        id=f"gl-{number}",
        entry_number=number,
        account_number="10100" if number % 2 else "40100",
        posting_date=date(2026, 10, 1),
        debit_amount=Decimal("10.00") if number % 2 else Decimal(0),
        credit_amount=Decimal(0) if number % 2 else Decimal("10.00"),
        last_modified_at=NOW - timedelta(minutes=minutes_ago),
    )


def context(connector: ScriptedConnector, sink: RecordingSink) -> SyncContext:
    store = InMemorySyncStateStore()
    connection = ClientConnection(
        client_id="cronus",
        client_name="Cronus",
        tenant="t",
        oauth_client_id="hub",
        oauth_client_secret="s",
        granted_to=("ann@firm.example",),
    )
    return SyncContext(
        connection, connector, store, Outbox(store, sink), MovableClock(NOW), timedelta(minutes=1)
    )


async def test_entries_are_published_in_batches_and_never_twice() -> None:
    connector, sink = ScriptedConnector(page_size=97), RecordingSink()
    connector.companies.append(COMPANY)
    connector.invoices[COMPANY.id] = {}
    # the last two entries share a modification time: the `ge` filter returns them again next time
    connector.entries[COMPANY.id] = [entry(n, 2000 - n) for n in range(1, 1200)] + [
        entry(1200, 801),
        entry(1201, 801),
    ]
    ctx = context(connector, sink)

    await sync_company(ctx, COMPANY)
    batches = sink.of_type(LedgerEntriesPosted, CompanyId(COMPANY.id))
    assert [len(b.entries) for b in batches] == [ENTRIES_PER_EVENT, ENTRIES_PER_EVENT, 201]
    numbers = [e.entry_number for b in batches for e in b.entries]
    assert numbers == list(range(1, 1202))
    assert sink.of_type(AgedReceivablesReported, CompanyId(COMPANY.id))

    connector.entries[COMPANY.id].append(entry(1202, 1))
    await sync_company(ctx, COMPANY)
    later = sink.of_type(LedgerEntriesPosted, CompanyId(COMPANY.id))[len(batches) :]
    assert [e.entry_number for b in later for e in b.entries] == [1202]
