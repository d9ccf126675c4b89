"""A guarded upsert: the one description of a state write, for MongoDB and for this instance's copy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pymongo import UpdateOne

from shared.ids import CompanyId
from shared.mongo import Document


@dataclass(frozen=True)
class GuardedUpsert:
    """An upsert of one document, applied only when the stored guard (seq or version) is older.

    The same value becomes the MongoDB write (`as_update`) and, once MongoDB has accepted it, the
    change to this instance's copy of the document (`applied_to`), so the two cannot drift apart.
    """

    id: str
    company_id: CompanyId
    fields: Document
    guard: str | None = None
    maximum: Document = field(default_factory=dict)

    def as_update(self) -> UpdateOne:
        """The MongoDB write: a stale guard matches nothing and its upsert hits a duplicate key."""
        condition: Document = {"_id": self.id}
        if self.guard is not None:
            condition[self.guard] = {"$not": {"$gte": self.fields[self.guard]}}
        update: dict[str, Any] = {}
        if self.fields:
            update["$set"] = self.fields
        if self.maximum:
            update["$max"] = self.maximum
        return UpdateOne(condition, update, upsert=True)

    def applied_to(self, stored: Document | None) -> Document:
        """The document after this write, given the stored one (the write was accepted)."""
        after: Document = {**(stored or {"_id": self.id}), **self.fields}
        for name, value in self.maximum.items():
            current = after.get(name)
            after[name] = value if current is None else max(current, value)
        return after
