"""One pull of a company's books: balances are re-read only when the ledger moved, a client
system that fails on the first feed is not asked for the others, and a notified pass asks only the
feeds the notification named."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.sync.connectors.base import ClientSystemError, RemoteCompany
from services.sync.pulling import pull_changes
from services.sync.repository import CompanySyncState
from shared.records import ClientUserTask, LedgerAccount, LedgerEntry
from tests.builders import NOW, ledger_account, sales_invoice
from tests.sync_fakes import ScriptedConnector

COMPANY = RemoteCompany(id="c-pull", name="Cronus", web_url="https://bc.example/?company=Cronus")


def entry(number: int, at_minutes: int) -> LedgerEntry:
    return LedgerEntry(
        id=f"gl-{number}",
        entry_number=number,
        account_number="10100",
        posting_date=date(2026, 11, 1),
        debit_amount=Decimal("10.00"),
        credit_amount=Decimal(0),
        last_modified_at=NOW + timedelta(minutes=at_minutes),
    )


@dataclass
class CountingConnector(ScriptedConnector):
    """Scripted books that count the balance reads and the G/L entry requests."""

    balance_reads: int = 0
    ledger_requests: int = 0
    asked: list[str] = field(default_factory=list)
    task_reads: int = 0

    def records_changed_since(self, company, feed, since):  # type: ignore[no-untyped-def]
        self.asked.append(feed)
        return super().records_changed_since(company, feed, since)

    async def user_tasks(self, company: RemoteCompany) -> list[ClientUserTask]:
        self.task_reads += 1
        return await super().user_tasks(company)

    async def accounts(self, company: RemoteCompany) -> list[LedgerAccount]:
        self.balance_reads += 1
        return await super().accounts(company)

    def ledger_entries_since(self, company, since):  # type: ignore[no-untyped-def]
        self.ledger_requests += 1
        return super().ledger_entries_since(company, since)


def connector_with_ledger() -> CountingConnector:
    connector = CountingConnector()
    connector.add_company(COMPANY)
    connector.ledger[COMPANY.id] = [ledger_account()]
    connector.entries[COMPANY.id] = [entry(1, 0)]
    return connector


async def pull_twice(connector: CountingConnector) -> CompanySyncState:
    first = await pull_changes(connector, COMPANY, CompanySyncState(), NOW)
    return CompanySyncState(
        watermarks=first.watermarks,
        ledger_mark=first.ledger_mark,
        known_ids=first.deletions.known_ids,
        last_full_pass=first.deletions.last_full_pass,
    )


def forget_requests(connector: CountingConnector) -> None:
    connector.asked.clear()
    connector.ledger_requests = connector.task_reads = connector.balance_reads = 0


async def test_a_pass_with_no_new_ledger_entries_does_not_read_the_balances_again() -> None:
    connector = connector_with_ledger()
    state = await pull_twice(connector)
    assert connector.balance_reads == 1  # the first pull reads every balance

    again = await pull_changes(connector, COMPANY, state, NOW + timedelta(minutes=1))

    assert connector.balance_reads == 1
    assert again.accounts is None
    assert again.ledger_entries == []


async def test_a_pass_that_brings_new_ledger_entries_reads_the_balances_again() -> None:
    connector = connector_with_ledger()
    state = await pull_twice(connector)
    connector.entries[COMPANY.id].append(entry(2, 3))

    again = await pull_changes(connector, COMPANY, state, NOW + timedelta(minutes=4))

    assert connector.balance_reads == 2
    assert again.accounts == connector.ledger[COMPANY.id]
    assert [e.entry_number for e in again.ledger_entries] == [2]
    assert again.ledger_mark is not None
    assert again.ledger_mark >= NOW + timedelta(minutes=3)


async def test_a_system_failing_on_the_first_feed_is_not_asked_for_the_others() -> None:
    connector = connector_with_ledger()
    connector.fail(COMPANY, ClientSystemError("HTTP 503 from the client's system"))

    with pytest.raises(ClientSystemError, match="503"):
        await pull_changes(connector, COMPANY, CompanySyncState(), NOW)

    assert connector.ledger_requests == 0
    assert connector.balance_reads == 0


async def test_the_first_pull_keeps_its_ledger_mark_no_older_than_the_lookback() -> None:
    connector = connector_with_ledger()
    connector.entries[COMPANY.id] = [entry(1, -30 * 24 * 60)]

    first = await pull_changes(connector, COMPANY, CompanySyncState(), NOW)

    assert first.ledger_mark is not None
    assert first.ledger_mark >= NOW - timedelta(minutes=5)


async def test_a_pass_notified_of_sales_invoices_asks_only_that_feed() -> None:
    connector = connector_with_ledger()
    state = await pull_twice(connector)
    forget_requests(connector)
    connector.put(COMPANY, sales_invoice(id="si-new", last_modified_at=NOW + timedelta(minutes=2)))

    pulled = await pull_changes(
        connector, COMPANY, state, NOW + timedelta(minutes=3), only=frozenset({"salesInvoices"})
    )

    assert connector.asked == ["salesInvoices"]
    assert (connector.ledger_requests, connector.task_reads, connector.balance_reads) == (0, 0, 0)
    assert [r.id for r in pulled.fresh] == ["si-new"]
    assert pulled.watermarks["salesQuotes"] == state.watermarks["salesQuotes"]  # kept for its own pass
    assert pulled.watermarks["userTasks"] == state.watermarks["userTasks"]


async def test_a_pass_notified_of_ledger_entries_asks_them_and_rereads_the_balances() -> None:
    connector = connector_with_ledger()
    state = await pull_twice(connector)
    forget_requests(connector)
    connector.entries[COMPANY.id].append(entry(2, 3))

    pulled = await pull_changes(
        connector, COMPANY, state, NOW + timedelta(minutes=4), only=frozenset({"generalLedgerEntries"})
    )

    assert connector.asked == []
    assert connector.ledger_requests == 1
    assert connector.balance_reads == 1
    assert [e.entry_number for e in pulled.ledger_entries] == [2]


@pytest.mark.parametrize(
    ("why", "later"),
    [("the first pull", None), ("a due full pass", timedelta(hours=2))],
)
async def test_a_notified_pass_still_reads_everything_on(why: str, later: timedelta | None) -> None:
    connector = connector_with_ledger()
    state = CompanySyncState() if later is None else await pull_twice(connector)
    forget_requests(connector)

    await pull_changes(
        connector, COMPANY, state, NOW + (later or timedelta()), only=frozenset({"salesInvoices"})
    )

    assert len(connector.asked) == 5, why
    assert (connector.ledger_requests, connector.task_reads) == (1, 1), why


async def test_a_notice_naming_nothing_sync_reads_makes_a_full_pull() -> None:
    connector = connector_with_ledger()
    state = await pull_twice(connector)
    forget_requests(connector)

    await pull_changes(connector, COMPANY, state, NOW + timedelta(minutes=1), only=frozenset({"items"}))

    assert len(connector.asked) == 5
    assert (connector.ledger_requests, connector.task_reads) == (1, 1)
