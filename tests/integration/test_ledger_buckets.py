"""Posted G/L entries land in MongoDB once, however often they are delivered, and read back as books."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.ledger import MongoLedgerStore, apply_ledger_entries
from services.gateway.reports.catalog import ALL, statements_for
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
    await apply_ledger_entries([first], store)
    await apply_ledger_entries([first, second], store)  # redelivery of the first, overlap with the second
    await apply_ledger_entries([second], store)

    books = await load_books(mongo_db, company, "Cronus")
    assert books is not None
    raw = entries_of(postings(400, date(2025, 1, 1), 600))
    statements = {s.name: s for s in statements_for(ALL, books, date(2026, 6, 30))}
    assert not [d for s in statements.values() for d in s.differences()]
    total_assets = next(r for r in statements["balance-sheet"].rows if r.label == "Total assets").values[0]
    assets = tuple(a.number for a in CHART if a.category == "Assets")
    assert total_assets == balance(raw, assets, date(2026, 6, 30))


async def test_a_company_with_no_synced_accounts_has_no_books(mongo_db: AsyncDatabase[Document]) -> None:
    assert await load_books(mongo_db, "nobody", "Nobody Ltd") is None
