"""What sync remembers per company: its event counter, its watermark, what it has announced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from shared.ids import AccountantId, CompanyId
from shared.mongo import Document


@dataclass(frozen=True)
class CompanySyncState:
    """Where the last good pull of a company ended, and what was announced about it."""

    watermark: datetime | None = None
    ids_at_watermark: frozenset[str] = field(default_factory=frozenset)
    profile_fingerprint: str | None = None
    announced_grants: frozenset[AccountantId] = field(default_factory=frozenset)
    last_announced_ok: datetime | None = None
    last_error: str | None = None


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
    """SyncStateStore on MongoDB (`sync_seq`, `sync_state`)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._seq = db["sync_seq"]
        self._state = db["sync_state"]

    async def reserve_seqs(self, company_id: CompanyId, count: int) -> range:
        """`count` fresh, increasing per-company sequence numbers (atomic `$inc`)."""
        doc = await self._seq.find_one_and_update(
            {"_id": company_id},
            {"$inc": {"seq": count}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        last = int(doc["seq"]) if doc else count
        return range(last - count + 1, last + 1)

    async def load(self, company_id: CompanyId) -> CompanySyncState:
        """The company's sync state (empty for a company never synced)."""
        doc = await self._state.find_one({"_id": company_id})
        if doc is None:
            return CompanySyncState()
        return CompanySyncState(
            watermark=doc.get("watermark"),
            ids_at_watermark=frozenset(doc.get("ids_at_watermark", [])),
            profile_fingerprint=doc.get("profile_fingerprint"),
            announced_grants=frozenset(AccountantId(a) for a in doc.get("announced_grants", [])),
            last_announced_ok=doc.get("last_announced_ok"),
            last_error=doc.get("last_error"),
        )

    async def save(self, company_id: CompanyId, state: CompanySyncState) -> None:
        """Remember the company's sync state."""
        doc = {
            "watermark": state.watermark,
            "ids_at_watermark": sorted(state.ids_at_watermark),
            "profile_fingerprint": state.profile_fingerprint,
            "announced_grants": sorted(state.announced_grants),
            "last_announced_ok": state.last_announced_ok,
            "last_error": state.last_error,
        }
        await self._state.replace_one({"_id": company_id}, doc, upsert=True)
