"""The tasks service's storage: `tasks` (with each task's outbox), `task_seq`, `task_grants`,
`task_client_reports`. The tasks service is their only reader and writer.

A task's pending events live in its own document (`outbox`), written in the same update as the
change, so a crash between the write and the publish loses nothing: the outbox is flushed at
start and periodically, and consumers keep the highest task `version`, so a re-sent event is a no-op.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Protocol

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.events import AccessGranted, AccessRevoked
from shared.ids import AccountantId, CompanyId
from shared.mongo import Document, bson_safe
from shared.records import UserTask


@dataclass(frozen=True)
class OutboxEntry:
    """An encoded event waiting to be published to `topic`."""

    event_id: str
    topic: str
    value: str


@dataclass(frozen=True)
class StoredTask:
    """A task, its version (one per change) and whether a write-back is still awaited."""

    task: UserTask
    version: int
    write_back_pending: bool = False
    outbox: tuple[OutboxEntry, ...] = field(default_factory=tuple)


class TaskStore(Protocol):
    """Storage port of the tasks service."""

    async def reserve_seqs(self, company_id: CompanyId, count: int) -> range: ...
    async def get(self, task_id: str) -> StoredTask | None: ...
    async def client_tasks(self, company_id: CompanyId) -> list[StoredTask]: ...
    async def save(self, stored: StoredTask, expected_version: int) -> bool: ...
    async def with_outbox(self) -> list[StoredTask]: ...
    async def clear_outbox(self, task_id: str, event_ids: list[str]) -> None: ...
    async def is_granted(self, accountant: AccountantId, company_id: CompanyId) -> bool: ...
    async def save_grant(self, event: AccessGranted | AccessRevoked) -> None: ...
    async def report_seq(self, company_id: CompanyId) -> int: ...
    async def mark_report(self, company_id: CompanyId, seq: int) -> None: ...


class MongoTaskStore:
    """TaskStore on MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._tasks = db["tasks"]
        self._seq = db["task_seq"]
        self._grants = db["task_grants"]
        self._reports = db["task_client_reports"]

    async def create_indexes(self) -> None:
        """Indexes for a company's client-system tasks and for pending outboxes."""
        await self._tasks.create_index([("company_id", 1), ("task.source", 1)])
        await self._tasks.create_index([("has_outbox", 1)])

    async def reserve_seqs(self, company_id: CompanyId, count: int) -> range:
        """`count` fresh, increasing per-company sequence numbers (atomic `$inc`)."""
        doc = await self._seq.find_one_and_update(
            {"_id": company_id}, {"$inc": {"seq": count}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        last = int(doc["seq"]) if doc else count
        return range(last - count + 1, last + 1)

    async def get(self, task_id: str) -> StoredTask | None:
        """One task, or None."""
        doc = await self._tasks.find_one({"_id": task_id})
        return _stored(doc) if doc else None

    async def client_tasks(self, company_id: CompanyId) -> list[StoredTask]:
        """Every client-system task of a company."""
        docs = self._tasks.find({"company_id": company_id, "task.source": "client_system"})
        return [_stored(doc) async for doc in docs]

    async def save(self, stored: StoredTask, expected_version: int) -> bool:
        """Write the task if nobody changed it since `expected_version` (0: it must be new)."""
        doc = _document(stored)
        if expected_version == 0:
            try:
                await self._tasks.insert_one({"_id": stored.task.id, **doc})
            except DuplicateKeyError:
                return False
            return True
        result = await self._tasks.update_one(
            {"_id": stored.task.id, "version": expected_version}, {"$set": doc}
        )
        return result.matched_count == 1

    async def with_outbox(self) -> list[StoredTask]:
        """Tasks with events not yet confirmed published."""
        return [_stored(doc) async for doc in self._tasks.find({"has_outbox": True})]

    async def clear_outbox(self, task_id: str, event_ids: list[str]) -> None:
        """Forget published events (others added meanwhile stay)."""
        await self._tasks.update_one(
            {"_id": task_id}, {"$pull": {"outbox": {"event_id": {"$in": event_ids}}}}
        )
        await self._tasks.update_one(
            {"_id": task_id, "outbox": {"$size": 0}}, {"$set": {"has_outbox": False}}
        )

    async def is_granted(self, accountant: AccountantId, company_id: CompanyId) -> bool:
        """True when the accountant may act in the company."""
        doc = await self._grants.find_one({"_id": f"{accountant}|{company_id}", "granted": True})
        return doc is not None

    async def save_grant(self, event: AccessGranted | AccessRevoked) -> None:
        """Grant or revoke, unless a newer change for the pair is stored (seq guard)."""
        key = f"{event.accountant_id}|{event.company_id}"
        doc = {"granted": isinstance(event, AccessGranted), "seq": event.seq, "company_id": event.company_id}
        with contextlib.suppress(DuplicateKeyError):  # a newer grant change is stored
            await self._grants.update_one(
                {"_id": key, "seq": {"$not": {"$gte": event.seq}}}, {"$set": doc}, upsert=True
            )

    async def report_seq(self, company_id: CompanyId) -> int:
        """The seq of the last client task report applied for the company (0: none)."""
        doc = await self._reports.find_one({"_id": company_id})
        return int(doc["seq"]) if doc else 0

    async def mark_report(self, company_id: CompanyId, seq: int) -> None:
        """Remember that the report with `seq` was applied."""
        await self._reports.update_one({"_id": company_id}, {"$max": {"seq": seq}}, upsert=True)


def _document(stored: StoredTask) -> Document:
    task = stored.task
    return {
        "company_id": task.company_id,
        "task": bson_safe(task.model_dump()),
        "version": stored.version,
        "write_back_pending": stored.write_back_pending,
        "outbox": [e.__dict__ for e in stored.outbox],
        "has_outbox": bool(stored.outbox),
    }


def _stored(doc: Document) -> StoredTask:
    return StoredTask(
        task=UserTask.model_validate(doc["task"]),
        version=int(doc["version"]),
        write_back_pending=bool(doc.get("write_back_pending")),
        outbox=tuple(OutboxEntry(**e) for e in doc.get("outbox", [])),
    )
