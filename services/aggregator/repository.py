"""Where the aggregator keeps per-company state and the projections the gateway reads.

Every state write is guarded by the event's per-company `seq` (`{"seq": {"$not": {"$gte": n}}}`
in the filter of an upsert): a redelivered or stale event matches nothing, its upsert collides
with the existing `_id` (E11000) and is ignored. Figures are derived from state, never
incremented, so a replay or a crash at any point comes out equal to a clean run. The state of the
companies a batch touches comes from this instance's copy (`state_cache.py`), kept equal to what
MongoDB accepted, and from MongoDB for companies not in it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from pymongo import DeleteOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, OperationFailure

from services.aggregator.changes import BatchChanges
from services.aggregator.documents import (
    details_document,
    figures_document,
    grant_write,
    profile_write,
    record_write,
    row_document,
    state_from_documents,
    status_writes,
)
from services.aggregator.guarded import GuardedUpsert
from services.aggregator.projections import CompanyFigures, CompanyState, FigureDate
from services.aggregator.state_cache import CompanyStateCache, StateKind, StoredDocuments
from services.aggregator.tasks import CompanyTaskView, batch_my_tasks_writes, task_write, tasks_from_documents
from shared.concurrency import together
from shared.ids import CompanyId, row_id
from shared.mongo import Document, in_chunks
from shared.records import UserTask

DUPLICATE_KEY = 11000
DASHBOARD_ORDER = [("accountant_id", 1), ("client_name", 1), ("company_name", 1), ("company_id", 1)]
"""The index behind the dashboard's default order: one accountant's rows by client, company, id."""


class ProjectionStore(Protocol):
    """The aggregator's storage port; `tests/unit/fakes.py` has the in-memory twin."""

    async def save_changes(self, changes: BatchChanges) -> None:
        """Apply the newest change per record, ignoring any older than what is stored."""

    async def load_states(
        self, company_ids: Sequence[CompanyId], *, owned: bool = True
    ) -> list[CompanyState]:
        """The stored state of each company, for deriving its figures.

        `owned=False` for companies this instance may not own (the date rollover re-derives them
        all): their state is read fresh and not kept.
        """

    def forget_cached_state(self) -> None:
        """Drop any state kept between batches (partitions moved, or the collections swapped)."""

    async def save_figures(self, figures: Sequence[CompanyFigures]) -> None:
        """Write company figures and the dashboard row of every accountant granted each company."""

    async def figure_dates(self) -> list[FigureDate]:
        """Each company's figures date and time zone (to find those whose day has turned)."""


class MongoProjectionStore:
    """ProjectionStore on MongoDB: one bulk write per collection per batch."""

    def __init__(self, db: AsyncDatabase[Document], cached_companies: int = 0) -> None:
        self._cache = CompanyStateCache(cached_companies)
        self._records = db["agg_records"]
        self._companies = db["agg_companies"]
        self._statuses = db["agg_sync_status"]
        self._grants = db["agg_grants"]
        self._figures = db["company_figures"]
        self._details = db["company_details"]
        self._rows = db["dashboard_rows"]
        self._tasks = db["agg_tasks"]
        self._my_tasks = db["my_tasks"]

    async def create_indexes(self) -> None:
        """Indexes the aggregator's reads and the gateway's queries need."""
        await self._records.create_index([("company_id", 1), ("relevant", 1)])
        await self._grants.create_index([("company_id", 1)])
        # The gateway's default order ends in the company id (TIEBREAK in services/gateway/
        # dashboard_query.py): with it in the index, a page reads its rows in order, not sorting all.
        await self._rows.create_index(DASHBOARD_ORDER)
        with contextlib.suppress(OperationFailure):  # its 3-key forerunner: a prefix of it, now unused
            await self._rows.drop_index("accountant_id_1_client_name_1_company_name_1")
        await self._rows.create_index([("company_id", 1)])
        await self._tasks.create_index([("company_id", 1), ("open", 1)])
        await self._my_tasks.create_index([("accountant_id", 1), ("due_sort", 1), ("task_id", 1)])
        await self._my_tasks.create_index([("company_id", 1)])

    async def save_changes(self, changes: BatchChanges) -> None:
        """Apply the newest change per record, ignoring any older than what is stored."""
        statuses = [
            write
            for company_id, event in changes.latest_status.items()
            for write in status_writes(event, changes.last_success.get(company_id))
        ]
        try:
            await together(
                self._upsert(StateKind.RECORD, [record_write(e) for e in changes.records.values()]),
                self._upsert(StateKind.PROFILE, [profile_write(e) for e in changes.profiles.values()]),
                self._upsert(StateKind.STATUS, statuses),
                self._upsert(StateKind.GRANT, [grant_write(e) for e in changes.grants.values()]),
                self._upsert(StateKind.TASK, [task_write(e) for e in changes.tasks.values()]),
            )
        except BaseException:
            self._cache.forget()  # what MongoDB took of a failed bulk write is unknown
            raise

    async def _upsert(self, kind: StateKind, writes: list[GuardedUpsert]) -> None:
        collection = {
            StateKind.RECORD: self._records,
            StateKind.PROFILE: self._companies,
            StateKind.STATUS: self._statuses,
            StateKind.GRANT: self._grants,
            StateKind.TASK: self._tasks,
        }[kind]
        rejected = await _guarded_bulk(collection, [w.as_update() for w in writes])
        self._cache.apply(kind, (w for i, w in enumerate(writes) if i not in rejected))

    async def load_states(
        self, company_ids: Sequence[CompanyId], *, owned: bool = True
    ) -> list[CompanyState]:
        """The stored state of each company, for deriving its figures.

        `owned=False` for companies this instance may not own (the date rollover re-derives them
        all): their state is read fresh and not kept.
        """
        ids = list(company_ids)
        missing = self._cache.missing(ids) if owned else ids
        absent = set(missing)
        held = self._cache.documents([c for c in ids if c not in absent])
        read = await self._read_documents(missing)
        if owned:
            self._cache.remember(missing, read)
        tasks = tasks_from_documents(sorted(held.tasks + read.tasks, key=lambda d: str(d["_id"])))
        states = state_from_documents(
            ids,
            held.profiles + read.profiles,
            held.statuses + read.statuses,
            held.records + read.records,
            held.grants + read.grants,
        )
        return [replace(s, tasks=tuple(tasks.get(s.company_id, ()))) for s in states]

    async def _read_documents(self, ids: list[CompanyId]) -> StoredDocuments:
        if not ids:
            return StoredDocuments([], [], [], [], [])
        profiles, statuses, records, grants, tasks = await together(
            _find_in(self._companies, "_id", ids),
            _find_in(self._statuses, "_id", ids),
            _find_in(self._records, "company_id", ids, {"relevant": True}),
            _find_in(self._grants, "company_id", ids),
            _find_in(self._tasks, "company_id", ids, {"open": True}),
        )
        return StoredDocuments(profiles, statuses, records, grants, tasks)

    def forget_cached_state(self) -> None:
        """Drop any state kept between batches (partitions moved, or the collections swapped)."""
        self._cache.forget()

    async def save_figures(self, figures: Sequence[CompanyFigures]) -> None:
        """Write company figures and the dashboard row of every accountant granted each company.

        A document equal to the one this instance last wrote for a company it keeps is skipped
        (a sync that changed nothing but its time leaves the details and the task list as they were).
        """
        if not figures:
            return
        written = WrittenDocuments(self._cache)
        try:
            listed = [
                f for f in figures if written.is_new(f.company_id, ("my_tasks", f.company_id), _listing(f))
            ]
            task_writes = batch_my_tasks_writes([(task_view(f), f.tasks) for f in listed])
            row_writes: list[Any] = []
            for f in figures:
                for a in sorted(f.granted_to):
                    doc = row_document(a, f)
                    if written.is_new(f.company_id, ("row", a), doc):
                        row_writes.append(ReplaceOne({"_id": row_id(a, f.company_id)}, doc, upsert=True))
                for a in sorted(f.revoked_from):
                    if written.is_new(f.company_id, ("row", a), None):
                        row_writes.append(DeleteOne({"_id": row_id(a, f.company_id)}))
            await together(
                _replace_all(self._figures, written.changed("figures", figures, figures_document)),
                _replace_all(self._details, written.changed("details", figures, details_document)),
                # The My Tasks list first, then the rows: a row's task counts never lead the list it sums.
                _write_in_turn((self._my_tasks, task_writes), (self._rows, row_writes)),
            )
        except BaseException:
            self._cache.forget()  # which of the documents MongoDB took is unknown
            raise
        written.confirm()

    async def figure_dates(self) -> list[FigureDate]:
        """Each company's figures date and time zone (to find those whose day has turned)."""
        cursor = self._figures.find({}, {"as_of": 1, "time_zone": 1})
        return [FigureDate(CompanyId(d["_id"]), d["time_zone"], d["as_of"]) async for d in cursor]


async def _find_in(
    collection: AsyncCollection[Document], name: str, values: Sequence[str], also: Document | None = None
) -> list[Document]:
    """The documents whose `name` is one of `values` (and match `also`), asked a slice at a time
    (`in_chunks`: a cold cache, a rebalance or the date rollover asks for thousands of companies)."""
    found: list[Document] = []
    for chunk in in_chunks(values):
        found += await collection.find({name: {"$in": chunk}, **(also or {})}).to_list()
    return found


async def _guarded_bulk(collection: AsyncCollection[Document], writes: list[UpdateOne]) -> set[int]:
    """Run guarded upserts; a duplicate key means the stored record is newer, so it is ignored.

    Returns the positions of the writes rejected that way (every other one was applied).
    """
    if not writes:
        return set()
    try:
        await collection.bulk_write(writes, ordered=False)
    except BulkWriteError as error:
        errors = error.details.get("writeErrors", [])
        others = [e for e in errors if e.get("code") != DUPLICATE_KEY]
        if others or error.details.get("writeConcernErrors"):
            raise
        return {int(e["index"]) for e in errors}
    return set()


async def _replace_all(collection: AsyncCollection[Document], documents: list[tuple[str, Document]]) -> None:
    if documents:
        writes = [ReplaceOne({"_id": key}, doc, upsert=True) for key, doc in documents]
        await collection.bulk_write(writes, ordered=False)


async def _write_in_turn(*steps: tuple[AsyncCollection[Document], list[Any]]) -> None:
    """Ordered bulk writes to each collection, one collection after the other."""
    for collection, writes in steps:
        if writes:
            await collection.bulk_write(writes, ordered=True)


def _listing(f: CompanyFigures) -> tuple[CompanyTaskView, tuple[UserTask, ...]]:
    """What a company's entries in My Tasks are made of."""
    return task_view(f), tuple(f.tasks)


class WrittenDocuments:
    """The read-model documents of one batch that differ from what was last written for a company.

    What is written is noted only once the whole batch is in (`confirm`).
    """

    def __init__(self, cache: CompanyStateCache) -> None:
        self._cache = cache
        self._pending: list[tuple[CompanyId, tuple[str, str], object]] = []

    def is_new(self, company: CompanyId, key: tuple[str, str], value: object) -> bool:
        """Whether `value` differs from what was last written under `key` (and so must be written)."""
        if self._cache.last_written(company, key) == (value,):
            return False
        self._pending.append((company, key, value))
        return True

    def changed(
        self, name: str, figures: Sequence[CompanyFigures], render: Callable[[CompanyFigures], Document]
    ) -> list[tuple[str, Document]]:
        """(id, document) of the companies whose `name` document changed."""
        documents = [(f.company_id, render(f)) for f in figures]
        return [(c, doc) for c, doc in documents if self.is_new(c, (name, c), doc)]

    def confirm(self) -> None:
        """Everything pending is in MongoDB now."""
        for company, key, value in self._pending:
            self._cache.note_written(company, key, value)


def task_view(f: CompanyFigures) -> CompanyTaskView:
    """What a company's My Tasks entries carry from its figures."""
    return CompanyTaskView(
        f.company_id, f.company_name or "", f.client_name or "", f.time_zone, f.as_of, f.granted_to
    )
