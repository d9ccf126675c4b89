"""Posted G/L entries land in MongoDB once, however often they are delivered, and read back as books."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.documents import record_write
from services.aggregator.ledger import MongoLedgerStore, apply_ledger_entries
from services.gateway.reports.catalog import ALL, statements_for
from services.gateway.reports_query import load_books
from shared.events import AccountChanged, LedgerEntriesPosted
from shared.ids import CompanyId
from shared.mongo import Document
from shared.records import LedgerAccount, LedgerEntry
from tests.report_books import CHART, balance, entries_of, postings

pytestmark = pytest.mark.integration
MOMENT = datetime(2026, 11, 1, tzinfo=UTC)


def posted(company: CompanyId, seq: int, entries: list[LedgerEntry]) -> LedgerEntriesPosted:
    return LedgerEntriesPosted(company_id=company, seq=seq, entries=tuple(entries))


def ledger_entries() -> list[LedgerEntry]:
    return [
        LedgerEntry(
            id=f"e-{n}",
            entry_number=n,
            account_number=account,
            posting_date=day,
            debit_amount=debit,
            credit_amount=credit,
            last_modified_at=MOMENT,
        )
        for n, (account, day, debit, credit) in enumerate(entries_of(postings(400, date(2025, 1, 1), 600)), 1)
    ]


async def store_chart(db: AsyncDatabase[Document], company: CompanyId) -> None:
    accounts = [
        AccountChanged(
            company_id=company,
            seq=1000 + i,
            account=LedgerAccount(
                id=a.number,
                number=a.number,
                name=a.name,
                category=a.category,
                sub_category=a.sub_category,
                posting=True,
                balance=Decimal(0),
                currency="GBP",
            ),
        )
        for i, a in enumerate(CHART)
    ]
    await db["agg_records"].bulk_write([record_write(e) for e in accounts])


async def test_redelivered_and_overlapping_entries_are_counted_once(mongo_db: AsyncDatabase[Document]) -> None:
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
