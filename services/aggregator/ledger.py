"""G/L movements per company x account x month, with daily totals: what the statements read.

Each entry is added to its month's bucket by one atomic update guarded by its entry number
(`entries.<n>` must not exist yet). A redelivered entry matches nothing, its upsert collides with
the bucket's `_id` (E11000) and is ignored; so redelivery, replay or a crash anywhere ends with
the totals of a clean run. A report reads at most accounts x months small documents (it skips the
`entries` markers), however many entries were posted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.events import HubEvent, LedgerEntriesPosted
from shared.ids import CompanyId
from shared.mongo import Document
from shared.records import LedgerEntry

LEDGER_COLLECTION = "agg_ledger"
DUPLICATE_KEY = 11000


class LedgerStore(Protocol):
    """Where posted G/L entries are folded into monthly buckets with daily totals."""

    async def add_entries(self, events: Sequence[LedgerEntriesPosted]) -> None:
        """Add every entry not already added (by company and entry number)."""


async def apply_ledger_entries(events: Sequence[HubEvent], store: LedgerStore) -> int:
    """Fold the batch's posted G/L entries into the buckets; returns how many events carried entries."""
    posted = [e for e in events if isinstance(e, LedgerEntriesPosted)]
    if posted:
        await store.add_entries(posted)
    return len(posted)


def bucket_id(company_id: CompanyId, account: str, month: str) -> str:
    """The bucket of one account's month, e.g. `c-1|10100|2026-10`."""
    return f"{company_id}|{account}|{month}"


def entry_write(company_id: CompanyId, entry: LedgerEntry) -> UpdateOne:
    """Add one entry to its bucket unless its entry number is there already."""
    month, day = entry.posting_date.strftime("%Y-%m"), f"{entry.posting_date.day:02d}"
    marker = f"entries.{entry.entry_number}"
    return UpdateOne(
        {"_id": bucket_id(company_id, entry.account_number, month), marker: {"$exists": False}},
        {
            "$set": {marker: True, "company_id": company_id, "account": entry.account_number, "month": month},
            "$inc": {f"days.{day}.debit": entry.debit_amount, f"days.{day}.credit": entry.credit_amount},
        },
        upsert=True,
    )


class MongoLedgerStore:
    """LedgerStore on MongoDB (`agg_ledger`)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._buckets = db[LEDGER_COLLECTION]

    async def create_indexes(self) -> None:
        """The reports read a company's buckets."""
        await self._buckets.create_index([("company_id", 1), ("account", 1), ("month", 1)])

    async def add_entries(self, events: Sequence[LedgerEntriesPosted]) -> None:
        """One unordered bulk write; duplicates (already added) are the only errors ignored."""
        writes = [entry_write(e.company_id, entry) for e in events for entry in e.entries]
        try:
            await self._buckets.bulk_write(writes, ordered=False)
        except BulkWriteError as error:
            others = [w for w in error.details.get("writeErrors", []) if w.get("code") != DUPLICATE_KEY]
            if others or error.details.get("writeConcernErrors"):
                raise
