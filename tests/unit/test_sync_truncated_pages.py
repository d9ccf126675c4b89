"""Truncated pages from the client's system, over real HTTP against the BC simulator: an answer cut off
part-way (the connection closing short of its Content-Length, or JSON that stops mid-array) is asked
again with the capped backoff; if it persists, the company's row says so in words, its last good data
stays (nothing published, watermarks kept) and the other companies sync; if it heals on a retry, every
record arrives exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from deploy.local.bc_simulator import SimulatorSettings, generate_books
from services.sync.connectors import bc_client
from services.sync.connectors.base import RemoteCompany
from services.sync.connectors.bc_client import MAX_ATTEMPTS
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.handlers import SyncContext, sync_company
from services.sync.poller import sync_connection
from services.sync.publishing import Outbox
from shared.events import CompanySyncFailed, CompanySyncSucceeded, EventBase, SalesInvoiceChanged
from shared.ids import CompanyId
from tests.sync_fakes import InMemorySyncStateStore, MovableClock, RecordingSink
from tests.sync_http_support import HttpBc, simulator_over_http

PAGE_SIZE = 5  # every company has ~50 sales invoices: ten pages
ENVELOPE = {"event_id", "seq", "occurred_at", "correlation_id", "causation_id"}
STATUS = (CompanySyncFailed, CompanySyncSucceeded)
CUT_CONNECTION = (
    "the client's system sent an incomplete answer for salesInvoices (truncated page: the connection "
    "closed before the whole page arrived); will retry"
)
CUT_JSON = (
    "the client's system sent an incomplete answer for salesInvoices (truncated page: the JSON stops "
    "part-way); will retry"
)


@dataclass
class Synced:
    """Sync's view of one simulated client: its context, what it published, what it stored."""

    bc: HttpBc
    ctx: SyncContext
    sink: RecordingSink
    store: InMemorySyncStateStore
    companies: list[RemoteCompany]

    async def fail(self, company: RemoteCompany, **fault: Any) -> None:
        """Inject a fault at the simulator (`/_simulator/companies/{id}/fail`)."""
        response = await self.bc.control.post(f"/_simulator/companies/{company.id}/fail", json=fault or None)
        assert response.status_code == 200, response.text


def fresh_context(bc: HttpBc) -> tuple[SyncContext, RecordingSink, InMemorySyncStateStore]:
    store, sink = InMemorySyncStateStore(), RecordingSink()
    clock = MovableClock(datetime.now(UTC))
    return (
        SyncContext(bc.connection, bc.connector, store, Outbox(store, sink), clock, timedelta(hours=1)),
        sink,
        store,
    )


@asynccontextmanager
async def synced(companies: int) -> AsyncIterator[Synced]:
    books = generate_books(seed=5, tenants=1, companies_per_tenant=companies, today=date(2026, 11, 25))
    settings = SimulatorSettings(page_size=PAGE_SIZE)
    async with simulator_over_http(books, settings, SlidingWindowBudget(6000, 300)) as bc:
        ctx, sink, store = fresh_context(bc)
        listed = sorted(await bc.connector.list_companies(), key=lambda c: c.id)
        yield Synced(bc, ctx, sink, store, listed)


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The connector's backoffs between tries, recorded and not waited for. (Not by patching
    `asyncio.sleep`: that is the module's, and the simulator's server in this loop sleeps too.)"""
    delays: list[float] = []
    real = bc_client._exponential

    def recorded(attempt: int) -> float:
        delays.append(real(attempt))
        return 0.0

    monkeypatch.setattr(bc_client, "_exponential", recorded)
    return delays


def records(events: list[EventBase]) -> Counter[str]:
    """The published record events without their envelopes, counted (a duplicate counts twice)."""
    return Counter(e.model_dump_json(exclude=ENVELOPE) for e in events if not isinstance(e, STATUS))


async def test_a_page_cut_off_on_every_try_is_retried_then_the_row_says_so_and_keeps_its_last_good_data(
    backoffs: list[float],
) -> None:
    async with synced(companies=3) as s:
        cut_connection, cut_json, healthy = s.companies
        await sync_connection(s.ctx, {})
        good_state = {c.id: s.store.states[CompanyId(c.id)] for c in s.companies}
        first_pass = len(s.sink.published)
        for company in s.companies:  # a change in every company's books, for the next pass to find
            invoice = next(e.invoice for e in s.sink.of_type(SalesInvoiceChanged, CompanyId(company.id)))
            changed = await s.bc.control.post(
                f"/_simulator/companies/{company.id}/salesInvoices/{invoice.id}/make-overdue"
            )
            assert changed.status_code == 200, changed.text
        await s.fail(cut_connection, truncated="connection")
        await s.fail(cut_json, truncated="body")
        backoffs.clear()

        await sync_connection(s.ctx, {})
        second_pass = s.sink.events()[first_pass:]
        failing_state = {c.id: s.store.states[CompanyId(c.id)] for c in s.companies}

        await s.fail(cut_connection)
        await s.fail(cut_json)
        await sync_connection(s.ctx, {})
        healed_pass = s.sink.events()[first_pass + len(second_pass) :]

    def of(company: RemoteCompany, events: list[EventBase]) -> list[EventBase]:
        return [e for e in events if e.company_id == company.id]

    (failed_cut,), (failed_json,) = of(cut_connection, second_pass), of(cut_json, second_pass)
    assert isinstance(failed_cut, CompanySyncFailed), "a failed status and nothing else: no partial page"
    assert isinstance(failed_json, CompanySyncFailed), "a failed status and nothing else: no partial page"
    assert failed_cut.reason.startswith(CUT_CONNECTION)
    assert failed_json.reason.startswith(CUT_JSON)
    assert len(backoffs) == 2 * (MAX_ATTEMPTS - 1), "each cut page was asked for again until attempts ran out"
    assert max(backoffs) <= 8.0 * 1.2, "the backoff is capped"
    for company, failed in ((cut_connection, failed_cut), (cut_json, failed_json)):
        kept = failing_state[company.id]
        assert kept.watermarks == good_state[company.id].watermarks, "no watermark moved past the cut page"
        assert kept.last_error == failed.reason
        changes = [e for e in of(company, healed_pass) if isinstance(e, SalesInvoiceChanged)]
        assert len(changes) == 1, "the change the cut pass could not read comes once healed"
    assert any(isinstance(e, SalesInvoiceChanged) for e in of(healthy, second_pass)), "the others carry on"
    assert isinstance(of(healthy, second_pass)[-1], CompanySyncSucceeded)


@pytest.mark.parametrize("cut", ["connection", "body"])
async def test_a_page_cut_off_once_mid_feed_is_fetched_again_and_every_record_arrives_exactly_once(
    cut: str, backoffs: list[float]
) -> None:
    async with synced(companies=1) as s:
        (company,) = s.companies
        await s.fail(company, truncated=cut, after=1, times=1)  # page 2 of the sales invoices

        await sync_company(s.ctx, company)

        clean_ctx, clean_sink, _ = fresh_context(s.bc)
        await sync_company(clean_ctx, company)

    assert len(backoffs) == 1, "one page was cut, and asked for once more"
    assert isinstance(s.sink.events()[-1], CompanySyncSucceeded)
    invoices = [e.invoice.id for e in s.sink.of_type(SalesInvoiceChanged)]
    assert len(invoices) == len(set(invoices)) > 2 * PAGE_SIZE
    assert records(s.sink.events()) == records(clean_sink.events()), "as complete as a sync that saw no fault"
