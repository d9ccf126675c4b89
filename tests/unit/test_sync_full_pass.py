"""The periodic full pass finds records deleted in the client's books (BC has no delete marker), over
real HTTP against the BC simulator, and the figure built from the events drops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from deploy.local.bc_simulator import SimulatorSettings, generate_books
from services.aggregator.changes import coalesce
from services.aggregator.figures import open_sales_documents
from services.aggregator.records import company_records, is_relevant, record_key, record_payload
from services.sync.connectors.base import RemoteCompany
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.full_pass import KIND_OF_FEED
from services.sync.handlers import SyncContext, sync_company
from services.sync.publishing import Outbox
from shared.events import RecordDeleted, SalesInvoiceChanged
from shared.records import SalesInvoiceStatus
from tests.sync_fakes import InMemorySyncStateStore, MovableClock, RecordingSink
from tests.sync_http_support import HttpBc, simulator_over_http

FULL_PASS = timedelta(hours=1)


def draft_invoices_shown(events: list[Any]) -> int:
    """The dashboard's draft-invoice count, from the events as the aggregator stores and reads them."""
    newest = coalesce(events).records.values()
    stored = [(record_key(e)[0], record_payload(e).model_dump()) for e in newest if is_relevant(e)]
    records = company_records(stored)
    return open_sales_documents(records.sales_invoices, records.sales_documents).draft_invoices


def context(bc: HttpBc, sink: RecordingSink, clock: MovableClock) -> SyncContext:
    store = InMemorySyncStateStore()
    return SyncContext(
        bc.connection,
        bc.connector,
        store,
        Outbox(store, sink),
        clock,
        timedelta(minutes=1),
        full_pass=FULL_PASS,
    )


@dataclass
class DeletedDraft:
    """A company of the simulator synced once, then one of its draft invoices deleted there."""

    ctx: SyncContext
    sink: RecordingSink
    clock: MovableClock
    company: RemoteCompany
    draft_id: str
    drafts_before: int
    drafts_synced: int


@asynccontextmanager
async def a_deleted_draft() -> AsyncIterator[DeletedDraft]:
    """Sync the simulator's one company, then delete its first draft invoice there (a 204)."""
    books = generate_books(seed=3, tenants=1, companies_per_tenant=1, today=date(2026, 11, 25))
    sink, clock = RecordingSink(), MovableClock(datetime.now(UTC))
    async with simulator_over_http(books, SimulatorSettings(), SlidingWindowBudget(6000, 300)) as bc:
        ctx = context(bc, sink, clock)
        (company,) = await bc.connector.list_companies()
        await sync_company(ctx, company)
        synced = sink.of_type(SalesInvoiceChanged)
        drafts = [e.invoice.id for e in synced if e.invoice.status is SalesInvoiceStatus.DRAFT]
        before = draft_invoices_shown(sink.events())
        deleted = await bc.control.delete(f"/_simulator/companies/{company.id}/salesInvoices/{drafts[0]}")
        assert deleted.status_code == 204
        yield DeletedDraft(ctx, sink, clock, company, drafts[0], before, len(drafts))


async def test_a_deleted_draft_invoice_is_announced_by_the_next_full_pass_and_leaves_the_figure() -> None:
    async with a_deleted_draft() as draft:
        ctx, sink, clock = draft.ctx, draft.sink, draft.clock

        clock.advance(FULL_PASS / 2)
        await sync_company(ctx, draft.company)
        not_yet = sink.of_type(RecordDeleted)
        clock.advance(FULL_PASS)
        await sync_company(ctx, draft.company)

    assert draft.drafts_before == draft.drafts_synced >= 1
    assert not_yet == [], "the incremental pull cannot see a deletion; only the full pass can"
    (gone,) = sink.of_type(RecordDeleted)
    assert (gone.kind, gone.record_id) == (KIND_OF_FEED["salesInvoices"], draft.draft_id)
    assert draft_invoices_shown(sink.events()) == draft.drafts_before - 1


async def test_a_deleted_record_is_announced_once_not_on_every_full_pass() -> None:
    async with a_deleted_draft() as draft:
        ctx, sink, clock = draft.ctx, draft.sink, draft.clock
        for _ in range(3):
            clock.advance(FULL_PASS)
            await sync_company(ctx, draft.company)

    assert [e.record_id for e in sink.of_type(RecordDeleted)] == [draft.draft_id]


async def test_a_deletion_a_change_notice_names_is_announced_by_that_notices_pass_not_the_full_pass() -> None:
    async with a_deleted_draft() as draft:
        ctx, sink, clock = draft.ctx, draft.sink, draft.clock

        clock.advance(timedelta(minutes=1))  # the full pass is 59 minutes away
        sales_invoices = frozenset({"salesInvoices"})
        await sync_company(ctx, draft.company, only=sales_invoices, deleted_from=sales_invoices)
        (gone,) = sink.of_type(RecordDeleted)
        clock.advance(FULL_PASS)
        await sync_company(ctx, draft.company)  # the full pass: nothing more is gone

    assert (gone.kind, gone.record_id) == (KIND_OF_FEED["salesInvoices"], draft.draft_id)
    assert draft_invoices_shown(sink.events()) == draft.drafts_before - 1
    assert len(sink.of_type(RecordDeleted)) == 1, "announced once: the full pass knew it was gone"
