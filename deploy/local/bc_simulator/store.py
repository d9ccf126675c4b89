"""Rows per company and entity set, and the feed of changes webhooks are made from."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias, TypeVar
from uuid import UUID

from .entities import ODataRow

ChangeType: TypeAlias = Literal["created", "updated", "deleted"]
Row = TypeVar("Row", bound=ODataRow)


@dataclass(frozen=True)
class Change:
    """One row of a company's entity set was created, updated or deleted at `at`."""

    company_id: UUID
    entity_set: str
    key: str
    change_type: ChangeType
    at: datetime


Listener = Callable[[Change], None]


class Tables:
    """Rows keyed by (company, entity set) then by their key, in insertion order."""

    def __init__(self) -> None:
        self._rows: dict[tuple[UUID, str], dict[str, ODataRow]] = {}
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """Call `listener` with every change from now on (not with loaded rows)."""
        self._listeners.append(listener)

    def load(self, company_id: UUID, entity_set: str, rows: Iterable[ODataRow]) -> None:
        """Seed an entity set without announcing anything."""
        self._rows.setdefault((company_id, entity_set), {}).update((row.key(), row) for row in rows)

    def rows(self, company_id: UUID, entity_set: str) -> list[ODataRow]:
        """The entity set's rows as they are now."""
        return list(self._rows.get((company_id, entity_set), {}).values())

    def typed(self, company_id: UUID, entity_set: str, model: type[Row]) -> list[Row]:
        """The rows, checked to be of `model`."""
        rows = self.rows(company_id, entity_set)
        if not all(isinstance(row, model) for row in rows):
            raise TypeError(f"{entity_set} does not hold {model.__name__} rows")
        return [row for row in rows if isinstance(row, model)]

    def get(self, company_id: UUID, entity_set: str, key: str) -> ODataRow:
        """One row; KeyError when there is none."""
        return self._rows[(company_id, entity_set)][key]

    def put(self, company_id: UUID, entity_set: str, row: ODataRow, change: ChangeType) -> None:
        """Store a created or updated row and announce it."""
        self._rows.setdefault((company_id, entity_set), {})[row.key()] = row
        self._announce(Change(company_id, entity_set, row.key(), change, row.watermark_value()))

    def remove(self, company_id: UUID, entity_set: str, key: str, at: datetime) -> ODataRow:
        """Delete a row and announce it; KeyError when there is none."""
        row = self._rows[(company_id, entity_set)].pop(key)
        self._announce(Change(company_id, entity_set, key, "deleted", at))
        return row

    def _announce(self, change: Change) -> None:
        for listener in self._listeners:
            listener(change)
