"""Posted G/L entries, and their daily totals per company x account x month: what the statements read.

State: one document per entry (`agg_ledger_entries`, `_id` = company and entry number, `bucket_key` =
the id of its month's bucket), inserted once; a redelivered entry collides with its `_id` (E11000) and
is ignored. Read models: for every
(account, month) a batch touched, the month's totals (`agg_ledger_months`) and its daily totals
(`agg_ledger_days`) are re-derived from the stored entries and replaced. Derivation from state,
never `$inc`, so redelivery, replay or a crash between the writes ends with the totals of a clean
run. A report reads one tiny document per account and month, and the daily totals of only the
months its period ends fall in, however many entries were posted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Protocol, cast

from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.concurrency import together
from shared.events import HubEvent, LedgerEntriesPosted
from shared.ids import CompanyId
from shared.mongo import Document
from shared.records import LedgerEntry

ENTRIES_COLLECTION = "agg_ledger_entries"
MONTHS_COLLECTION = "agg_ledger_months"
DAYS_COLLECTION = "agg_ledger_days"
DUPLICATE_KEY = 11000
BACKFILL_BATCH = 5000
Bucket = tuple[CompanyId, str, str]
"""(company, account number, month as YYYY-MM)."""


class LedgerStore(Protocol):
    """Where posted G/L entries are kept and folded into monthly buckets of daily totals."""

    async def add_entries(self, events: Sequence[LedgerEntriesPosted]) -> None:
        """Keep every entry not already kept, then re-derive the buckets they fall in."""


async def apply_ledger_entries(events: Sequence[HubEvent], store: LedgerStore) -> int:
    """Store the batch's posted G/L entries; returns how many events carried entries."""
    posted = [e for e in events if isinstance(e, LedgerEntriesPosted)]
    if posted:
        await store.add_entries(posted)
    return len(posted)


def bucket_id(company_id: CompanyId, account: str, month: str) -> str:
    """The bucket of one account's month, e.g. `c-1|10100|2026-10`."""
    return f"{company_id}|{account}|{month}"


def entry_document(company_id: CompanyId, entry: LedgerEntry) -> Document:
    """One entry as stored: keyed by company and entry number, tagged with its bucket."""
    return {
        "_id": f"{company_id}|{entry.entry_number}",
        "company_id": company_id,
        "bucket": f"{entry.account_number}|{entry.posting_date:%Y-%m}",
        "bucket_key": bucket_id(company_id, entry.account_number, f"{entry.posting_date:%Y-%m}"),
        "day": entry.posting_date.day,
        "debit": entry.debit_amount,
        "credit": entry.credit_amount,
    }


def month_documents(bucket: Bucket, entries: Iterable[Document]) -> tuple[Document, Document]:
    """The month's debit and credit totals, and its daily totals (parallel arrays), from its entries."""
    company_id, account, month = bucket
    days: dict[int, list[Decimal]] = {}
    for entry in entries:
        pair = days.setdefault(entry["day"], [Decimal(0), Decimal(0)])
        pair[0] += entry["debit"]
        pair[1] += entry["credit"]
    ordered = sorted(days.items())
    key: Document = {"company_id": company_id, "account": account, "month": month}
    totals: Document = {
        "debit": sum((t[0] for _, t in ordered), Decimal(0)),
        "credit": sum((t[1] for _, t in ordered), Decimal(0)),
    }
    daily: Document = {
        "days": [day for day, _ in ordered],
        "debit": [t[0] for _, t in ordered],
        "credit": [t[1] for _, t in ordered],
    }
    return key | totals, key | daily


class MongoLedgerStore:
    """LedgerStore on MongoDB (`agg_ledger_entries`, `agg_ledger_months`, `agg_ledger_days`)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._entries = db[ENTRIES_COLLECTION]
        self._months = db[MONTHS_COLLECTION]
        self._days = db[DAYS_COLLECTION]

    async def create_indexes(self) -> None:
        """Deriving reads entries by bucket; reports read a company's months. Entries stored before
        `bucket_key` existed get it first (once: afterwards none lacks it)."""
        await self._entries.create_index([("bucket_key", 1)])
        await self._months.create_index([("company_id", 1)])
        await self._days.create_index([("company_id", 1), ("month", 1)])
        await self._backfill_bucket_keys()

    async def add_entries(self, events: Sequence[LedgerEntriesPosted]) -> None:
        """Insert new entries (duplicates ignored) while reading what the touched buckets held, then
        replace their daily totals, derived from both (an entry already stored counts once)."""
        documents = [entry_document(e.company_id, entry) for e in events for entry in e.entries]
        touched: dict[str, list[Document]] = {}
        for document in documents:
            touched.setdefault(document["bucket_key"], []).append(document)
        _, held = await together(_insert_new(self._entries, documents), self._entries_in(sorted(touched)))
        stored = cast(dict[str, list[Document]], held)
        months: list[ReplaceOne[Any]] = []
        days: list[ReplaceOne[Any]] = []
        for key, batch in touched.items():
            first = batch[0]
            account, month = first["bucket"].split("|")
            bucket = (CompanyId(first["company_id"]), account, month)
            totals, daily = month_documents(bucket, _union(stored.get(key, []), batch))
            months.append(ReplaceOne({"_id": key}, totals, upsert=True))
            days.append(ReplaceOne({"_id": key}, daily, upsert=True))
        if months:
            await together(
                self._days.bulk_write(days, ordered=False), self._months.bulk_write(months, ordered=False)
            )

    async def _entries_in(self, keys: list[str]) -> dict[str, list[Document]]:
        """The stored entries of every bucket in `keys`, by bucket: one command for the whole batch."""
        grouped: dict[str, list[Document]] = {}
        query = {"bucket_key": {"$in": keys}}
        async for entry in self._entries.find(query, {"bucket_key": 1, "day": 1, "debit": 1, "credit": 1}):
            grouped.setdefault(entry["bucket_key"], []).append(entry)
        return grouped

    async def _backfill_bucket_keys(self) -> None:
        while lacking := await self._entries.find(
            {"bucket_key": None}, {"company_id": 1, "bucket": 1}, limit=BACKFILL_BATCH
        ).to_list():
            await self._entries.bulk_write(
                [UpdateOne({"_id": d["_id"]}, {"$set": {"bucket_key": _bucket_key_of(d)}}) for d in lacking],
                ordered=False,
            )


def _bucket_key_of(stored: Document) -> str:
    """The bucket id of an entry stored with only its `bucket` ("account|month")."""
    account, month = stored["bucket"].split("|")
    return bucket_id(CompanyId(stored["company_id"]), account, month)


def _union(stored: list[Document], batch: list[Document]) -> list[Document]:
    """A bucket's entries: those stored (read while the batch was inserted, so some of the batch may be
    among them) and the batch's others, each entry once by its `_id`."""
    entries = {d["_id"]: d for d in reversed(batch)}  # an entry twice in the batch: its first copy
    entries.update({d["_id"]: d for d in stored})  # what is stored is what counts
    return list(entries.values())


async def _insert_new(collection: AsyncCollection[Document], documents: list[Document]) -> None:
    """Insert every document; one already there (same `_id`) is the only error ignored."""
    if not documents:
        return
    try:
        await collection.bulk_write([InsertOne(d) for d in documents], ordered=False)
    except BulkWriteError as error:
        others = [w for w in error.details.get("writeErrors", []) if w.get("code") != DUPLICATE_KEY]
        if others or error.details.get("writeConcernErrors"):
            raise
