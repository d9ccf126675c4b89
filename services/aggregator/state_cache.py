"""This instance's copy of the stored state of the companies it owns, so a batch only writes.

It also remembers the read-model documents it last wrote for them, so one equal to those is not
written again.

Loading every touched company's records back from MongoDB after each batch cost more than all the
batch's writes together. The copy holds, per company, exactly the documents the state queries
return (profile, sync status, relevant records, grants, open tasks), and changes only by the
guarded upserts MongoDB has *accepted* (a rejected, stale one is not applied): it is MongoDB's
own state, not a second interpretation of the events.

It is a cache, so it is thrown away whenever it might be stale: when partitions are assigned or
revoked (another instance may have written a company meanwhile), when a write fails half-way,
and when a replay swaps the collections. A company not in the copy is read from MongoDB.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from services.aggregator.guarded import GuardedUpsert
from shared.ids import CompanyId
from shared.mongo import Document


class StateKind(StrEnum):
    """Which of a company's stored documents a write is about."""

    PROFILE = "profile"
    STATUS = "status"
    RECORD = "record"
    GRANT = "grant"
    TASK = "task"


@dataclass
class CompanyDocuments:
    """The stored documents of one company, by kind and id."""

    by_kind: dict[StateKind, dict[str, Document]] = field(
        default_factory=lambda: {kind: {} for kind in StateKind}
    )
    written: dict[tuple[str, str], object] = field(default_factory=dict)
    """The read-model documents last written for the company (None: deleted), by (model, id)."""

    def add(self, kind: StateKind, documents: Iterable[Document]) -> None:
        """Documents read from MongoDB."""
        for doc in documents:
            self.by_kind[kind][doc["_id"]] = doc

    def apply(self, kind: StateKind, write: GuardedUpsert) -> None:
        """A write MongoDB accepted."""
        stored = self.by_kind[kind].get(write.id)
        self.by_kind[kind][write.id] = write.applied_to(stored)


@dataclass(frozen=True)
class StoredDocuments:
    """Documents of several companies, shaped as the state queries return them."""

    profiles: list[Document]
    statuses: list[Document]
    records: list[Document]
    grants: list[Document]
    tasks: list[Document]


class CompanyStateCache:
    """The stored documents of up to `capacity` companies, least recently used dropped first."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._companies: OrderedDict[CompanyId, CompanyDocuments] = OrderedDict()

    def __len__(self) -> int:
        return len(self._companies)

    def missing(self, company_ids: Sequence[CompanyId]) -> list[CompanyId]:
        """The companies whose documents have to be read from MongoDB."""
        return [c for c in company_ids if c not in self._companies]

    def remember(self, company_ids: Sequence[CompanyId], stored: StoredDocuments) -> None:
        """Keep what was just read for these companies (a company with no documents included)."""
        fresh = {c: CompanyDocuments() for c in company_ids}
        for kind, docs, company_of in (
            (StateKind.PROFILE, stored.profiles, _by_id),
            (StateKind.STATUS, stored.statuses, _by_id),
            (StateKind.RECORD, stored.records, _by_company_field),
            (StateKind.GRANT, stored.grants, _by_company_field),
            (StateKind.TASK, stored.tasks, _by_company_field),
        ):
            for doc in docs:
                company = fresh.get(company_of(doc))
                if company is not None:
                    company.add(kind, [doc])
        for company_id, documents in fresh.items():
            self._companies[company_id] = documents
            self._companies.move_to_end(company_id)
        while len(self._companies) > self._capacity:
            self._companies.popitem(last=False)

    def apply(self, kind: StateKind, writes: Iterable[GuardedUpsert]) -> None:
        """Writes MongoDB accepted; a company not held here is read from MongoDB when needed."""
        for write in writes:
            company = self._companies.get(write.company_id)
            if company is not None:
                company.apply(kind, write)

    def documents(self, company_ids: Sequence[CompanyId]) -> StoredDocuments:
        """The held documents of these companies, filtered as the state queries filter them."""
        held = [self._companies[c] for c in company_ids if c in self._companies]
        for company_id in company_ids:
            if company_id in self._companies:
                self._companies.move_to_end(company_id)

        def of(kind: StateKind) -> list[Document]:
            return [doc for company in held for doc in company.by_kind[kind].values()]

        return StoredDocuments(
            profiles=of(StateKind.PROFILE),
            statuses=of(StateKind.STATUS),
            records=[d for d in of(StateKind.RECORD) if d.get("relevant")],
            grants=of(StateKind.GRANT),
            tasks=[d for d in of(StateKind.TASK) if d.get("open")],
        )

    def last_written(self, company_id: CompanyId, key: tuple[str, str]) -> tuple[object] | None:
        """(document,) last written under `key` for a company held here; None when not known."""
        company = self._companies.get(company_id)
        if company is None or key not in company.written:
            return None
        return (company.written[key],)

    def note_written(self, company_id: CompanyId, key: tuple[str, str], value: object) -> None:
        """A read-model document MongoDB now holds for a company held here."""
        company = self._companies.get(company_id)
        if company is not None:
            company.written[key] = value

    def forget(self) -> None:
        """Drop everything: the next batch reads its companies from MongoDB."""
        self._companies.clear()


def _by_id(doc: Document) -> CompanyId:
    return CompanyId(doc["_id"])


def _by_company_field(doc: Document) -> CompanyId:
    return CompanyId(doc["company_id"])
