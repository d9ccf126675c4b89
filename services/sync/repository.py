"""What sync remembers per company: its event counter, its watermark, what it has announced."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.ids import AccountantId, CompanyId
from shared.mongo import Document

SEQ_ATTEMPTS = 5


@dataclass(frozen=True)
class Watermark:
    """The newest modification time seen in a feed, and the ids seen at exactly that time."""

    at: datetime | None = None
    ids: frozenset[str] = field(default_factory=frozenset)

    def already_sent(self, record_id: str, modified: datetime) -> bool:
        """The `ge` filter returns the boundary records again; those were sent already."""
        return modified == self.at and record_id in self.ids

    def advanced(self, records: Sequence[_Modified]) -> Watermark:
        """The watermark after `records` were published."""
        at = max((r.last_modified_at for r in records), default=self.at)
        ids = {r.id for r in records if r.last_modified_at == at}
        return Watermark(at, frozenset(ids | self.ids) if at == self.at else frozenset(ids))


class _Modified(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def last_modified_at(self) -> datetime: ...


@dataclass(frozen=True)
class CompanySyncState:
    """Where the last good pull of a company ended, and what was announced about it."""

    watermarks: dict[str, Watermark] = field(default_factory=dict)
    ledger_mark: datetime | None = None
    profile_fingerprint: str | None = None
    announced_grants: frozenset[AccountantId] = field(default_factory=frozenset)
    last_announced_ok: datetime | None = None
    last_error: str | None = None
    known_ids: dict[str, frozenset[str]] = field(default_factory=dict)
    """Per feed, the ids published and not deleted since: what a full pass compares BC's list with."""
    last_full_pass: datetime | None = None
    snapshot_fingerprints: dict[str, str] = field(default_factory=dict)
    """What each account and aged report announced last carried (services/sync/snapshots.py)."""


class SyncStateStore(Protocol):
    """Storage port of the sync service."""

    async def reserve_seqs(self, company_id: CompanyId, count: int) -> range:
        """`count` fresh, increasing per-company sequence numbers."""
        ...

    async def load(self, company_id: CompanyId) -> CompanySyncState:
        """The company's sync state (empty for a company never synced)."""
        ...

    async def save(self, company_id: CompanyId, state: CompanySyncState) -> None:
        """Remember the company's sync state; called only after its events were published."""
        ...


class MongoSyncStateStore:
    """SyncStateStore on MongoDB (`sync_seq`, `sync_state`), remembering the states it read and wrote.

    A pass then reads its company's state from memory, not from the database: at a thousand companies
    that read was a fifth of every command MongoDB served. Each saved state carries a random `version`,
    and a save replaces only the version this store last saw. When another sync instance wrote the
    company in between (a refresh command handled by another pod), the save matches nothing: it is
    dropped along with what was remembered, and the next pass reads the database again. Dropping a save
    is safe because watermarks only move back: that pass pulls from the other writer's watermark and
    re-sends what it already sent, which every consumer applies once.

    Sequence numbers likewise: the store remembers each company's last reserved number and reserves
    the next ones with a compare-and-set update (`seq` still equal to it), falling back to an atomic
    `find_one_and_update` when another instance reserved in between or nothing is remembered. Real
    MongoDB serves both alike; SecantusDB, the local server, spent about 15 ms of CPU on each
    `find_one_and_update` against 1.4 ms on an update, and sync makes one reservation per pass."""

    def __init__(self, db: AsyncDatabase[Document], remembered: int = 10_000) -> None:
        self._seq = db["sync_seq"]
        self._state = db["sync_state"]
        self._remembered = remembered
        self._held: OrderedDict[CompanyId, tuple[CompanySyncState, str | None]] = OrderedDict()
        self._last_seq: OrderedDict[CompanyId, int] = OrderedDict()

    async def reserve_seqs(self, company_id: CompanyId, count: int) -> range:
        """`count` fresh, increasing per-company sequence numbers: a compare-and-set from the last
        number this store reserved, else an atomic `$inc` that reads the result back."""
        known = self._last_seq.pop(company_id, None)
        if known is not None and await self._advanced_from(company_id, known, count):
            last = known + count
        else:  # nothing remembered, or another instance reserved since
            last = await self._incremented(company_id, count)
        self._remember_seq(company_id, last)
        return range(last - count + 1, last + 1)

    async def _advanced_from(self, company_id: CompanyId, known: int, count: int) -> bool:
        moved = await self._seq.update_one({"_id": company_id, "seq": known}, {"$inc": {"seq": count}})
        return moved.modified_count == 1

    async def _incremented(self, company_id: CompanyId, count: int) -> int:
        for _ in range(SEQ_ATTEMPTS):
            doc = await self._seq.find_one_and_update(
                {"_id": company_id},
                {"$inc": {"seq": count}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            # No document back: SecantusDB answers so to one of two racing first upserts, after applying
            # its $inc. Taking `count` then handed out numbers the other had; asking again skips them.
            if doc is not None:
                return int(doc["seq"])
        raise RuntimeError(f"no sequence number reserved for company {company_id} in {SEQ_ATTEMPTS} attempts")

    def _remember_seq(self, company_id: CompanyId, last: int) -> None:
        if self._remembered <= 0:
            return
        self._last_seq[company_id] = last
        while len(self._last_seq) > self._remembered:
            self._last_seq.popitem(last=False)

    async def load(self, company_id: CompanyId) -> CompanySyncState:
        """The company's sync state (empty for a company never synced): from memory when this store
        read or wrote it last."""
        held = self._held.get(company_id)
        if held is not None:
            self._held.move_to_end(company_id)
            return held[0]
        doc = await self._state.find_one({"_id": company_id})
        state = CompanySyncState() if doc is None else _state_of(doc)
        self._hold(company_id, state, doc.get("version") if doc else None)
        return state

    async def save(self, company_id: CompanyId, state: CompanySyncState) -> None:
        """Remember the company's sync state, unless another instance wrote it since this one read it
        (then neither is remembered here, and the next load reads the database)."""
        held = self._held.pop(company_id, None)
        version = uuid.uuid4().hex
        # Never read here (or forgotten): the last writer wins, as every save did before versions.
        where: Document = {"_id": company_id} if held is None else {"_id": company_id, "version": held[1]}
        try:
            await self._state.replace_one(where, _document(state) | {"version": version}, upsert=True)
        except DuplicateKeyError:  # the version moved on: another instance saved this company
            return
        self._hold(company_id, state, version)

    def _hold(self, company_id: CompanyId, state: CompanySyncState, version: str | None) -> None:
        if self._remembered <= 0:
            return
        self._held[company_id] = (state, version)
        self._held.move_to_end(company_id)
        while len(self._held) > self._remembered:
            self._held.popitem(last=False)


def _state_of(doc: Document) -> CompanySyncState:
    return CompanySyncState(
        watermarks={
            feed: Watermark(mark.get("at"), frozenset(mark.get("ids", [])))
            for feed, mark in doc.get("watermarks", {}).items()
        },
        ledger_mark=doc.get("ledger_mark"),
        profile_fingerprint=doc.get("profile_fingerprint"),
        announced_grants=frozenset(AccountantId(a) for a in doc.get("announced_grants", [])),
        last_announced_ok=doc.get("last_announced_ok"),
        last_error=doc.get("last_error"),
        known_ids={feed: frozenset(ids) for feed, ids in doc.get("known_ids", {}).items()},
        last_full_pass=doc.get("last_full_pass"),
        snapshot_fingerprints=dict(doc.get("snapshot_fingerprints", {})),
    )


def _document(state: CompanySyncState) -> Document:
    return {
        "watermarks": {
            feed: {"at": mark.at, "ids": sorted(mark.ids)} for feed, mark in state.watermarks.items()
        },
        "ledger_mark": state.ledger_mark,
        "profile_fingerprint": state.profile_fingerprint,
        "announced_grants": sorted(state.announced_grants),
        "last_announced_ok": state.last_announced_ok,
        "last_error": state.last_error,
        "known_ids": {feed: sorted(ids) for feed, ids in state.known_ids.items()},
        "last_full_pass": state.last_full_pass,
        "snapshot_fingerprints": state.snapshot_fingerprints,
    }
