"""Posted G/L entries land in MongoDB once, however often they are delivered, and read back as books."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.ledger import (
    ENTRIES_COLLECTION,
    MongoLedgerStore,
    apply_ledger_entries,
    entry_document,
)
from services.gateway.reports.catalog import ALL, statements_for
from services.gateway.reports.periods import report_period
from services.gateway.reports_query import load_books
from shared.ids import CompanyId
from shared.mongo import Document
from tests.report_books import CHART, balance, entries_of, ledger_entries, posted, postings, store_chart

pytestmark = pytest.mark.integration


async def test_redelivered_and_overlapping_entries_are_counted_once(
    mongo_db: AsyncDatabase[Document],
) -> None:
    company = CompanyId(f"c-{uuid.uuid4().hex[:8]}")
    store = MongoLedgerStore(mongo_db)
    await store.create_indexes()
    await store_chart(mongo_db, company)
    entries = ledger_entries()
    first, second = posted(company, 1, entries[:500]), posted(company, 2, entries[400:])
    # a crash after storing some entries and before deriving their totals: the redelivery completes it
    await mongo_db[ENTRIES_COLLECTION].insert_many([entry_document(company, e) for e in entries[:100]])
    await apply_ledger_entries([first], store)
    await apply_ledger_entries([first, second], store)  # redelivery of the first, overlap with the second
    await apply_ledger_entries([second], store)

    period_end = date(2026, 6, 17)  # mid-month: its month and last year's are read day by day
    books = await load_books(mongo_db, company, "Cronus", report_period(period_end).ends_in_months)
    assert books is not None
    raw = entries_of(postings(400, date(2025, 1, 1), 600))
    statements = {s.name: s for s in statements_for(ALL, books, period_end)}
    assert not [d for s in statements.values() for d in s.differences()]
    total_assets = next(r for r in statements["balance-sheet"].rows if r.label == "Total assets").values
    assets = tuple(a.number for a in CHART if a.category == "Assets")
    assert total_assets == (balance(raw, assets, period_end), balance(raw, assets, date(2025, 6, 17)))
    debits = next(r for r in statements["trial-balance"].rows if r.label == "Total").values[0]
    assert debits == sum((d for _, day, d, _ in raw if date(2026, 1, 1) <= day <= period_end), Decimal(0))


async def test_a_company_with_no_synced_accounts_has_no_books(mongo_db: AsyncDatabase[Document]) -> None:
    assert await load_books(mongo_db, "nobody", "Nobody Ltd", frozenset()) is None


def new_company() -> CompanyId:
    return CompanyId(f"c-{uuid.uuid4().hex[:8]}")


async def ready_store(db: AsyncDatabase[Document]) -> MongoLedgerStore:
    store = MongoLedgerStore(db)
    await store.create_indexes()
    return store


async def monthly_totals(
    db: AsyncDatabase[Document], *companies: CompanyId
) -> dict[CompanyId, list[tuple[str, str, Decimal, Decimal]]]:
    """Each company's (account, month, debit, credit) totals as the aggregator derived them."""
    return {
        company: sorted(
            (d["account"], d["month"], d["debit"], d["credit"])
            for d in await db["agg_ledger_months"].find({"company_id": company}).to_list()
        )
        for company in companies
    }


async def test_an_entry_twice_in_one_batch_that_was_never_stored_counts_once(
    mongo_db: AsyncDatabase[Document],
) -> None:
    store = await ready_store(mongo_db)
    once, twice = new_company(), new_company()
    entries = ledger_entries()[:50]

    await apply_ledger_entries([posted(once, 1, entries)], store)
    await apply_ledger_entries([posted(twice, 1, entries), posted(twice, 2, entries[10:30])], store)

    months = await monthly_totals(mongo_db, once, twice)
    assert months[once]
    assert months[twice] == months[once]


async def test_entries_stored_before_bucket_keys_existed_still_count_after_a_restart(
    mongo_db: AsyncDatabase[Document],
) -> None:
    store = await ready_store(mongo_db)
    old, new = new_company(), new_company()
    entries = ledger_entries()[:60]
    await apply_ledger_entries([posted(old, 1, entries[:40])], store)
    # as the aggregator stored them before this field existed
    await mongo_db[ENTRIES_COLLECTION].update_many({"company_id": old}, {"$unset": {"bucket_key": ""}})

    await store.create_indexes()  # a restart of the aggregator on the new code
    await apply_ledger_entries([posted(old, 2, entries[30:])], store)  # re-derives the buckets
    await apply_ledger_entries([posted(new, 1, entries)], store)

    months = await monthly_totals(mongo_db, old, new)
    assert months[new]
    assert months[old] == months[new]
