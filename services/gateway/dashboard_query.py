"""The dashboard query: filters, a sort on any count column, keyset pagination. Read-only, scoped
to one accountant. Pure builders plus one function that runs them."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from pymongo.asynchronous.database import AsyncDatabase

from shared.ids import AccountantId
from shared.mongo import Document

SortKey = Literal[
    "client_name",
    "company_name",
    "overdue_sales_count",
    "overdue_purchases_count",
    "purchase_due_next_week_count",
    "open_sales_documents",
    "my_tasks",
    "my_overdue_tasks",
]
SORT_FIELDS: dict[str, str] = {
    "client_name": "client_name",
    "company_name": "company_name",
    "overdue_sales_count": "overdue_sales_count",
    "overdue_purchases_count": "overdue_purchases_count",
    "purchase_due_next_week_count": "purchase_due_next_week_count",
    "open_sales_documents": "open_sales_documents.total",
    "my_tasks": "my_tasks",
    "my_overdue_tasks": "my_overdue_tasks",
}
HasFigure = Literal[
    "overdue_sales",
    "overdue_purchases",
    "purchase_due_next_week",
    "open_sales_documents",
    "my_tasks",
    "my_overdue_tasks",
]
HAS_FIELDS: dict[str, str] = {
    "overdue_sales": "overdue_sales_count",
    "overdue_purchases": "overdue_purchases_count",
    "purchase_due_next_week": "purchase_due_next_week_count",
    "open_sales_documents": "open_sales_documents.total",
    "my_tasks": "my_tasks",
    "my_overdue_tasks": "my_overdue_tasks",
}
TIEBREAK = ("client_name", "company_name", "company_id")
Column = Literal[
    "overdue_sales",
    "open_sales_documents",
    "purchase_due_next_week",
    "overdue_purchases",
    "cash",
    "taxes_due",
    "my_tasks",
    "my_overdue_tasks",
]
COLUMNS: tuple[Column, ...] = get_args(Column)
Sort = Literal[
    SortKey,
    "-client_name",
    "-company_name",
    "-overdue_sales_count",
    "-overdue_purchases_count",
    "-purchase_due_next_week_count",
    "-open_sales_documents",
    "-my_tasks",
    "-my_overdue_tasks",
]
DEFAULT_SORT: Sort = "client_name"


class InvalidCursorError(ValueError):
    """A pagination cursor that this API did not issue (or issued for another sort)."""


@dataclass(frozen=True)
class DashboardFilter:
    """Which rows: a client, a company-name search, figures that must be non-zero, sync trouble."""

    client: str | None = None
    search: str | None = None
    has: tuple[HasFigure, ...] = ()
    failed: bool | None = None
    stale_after: timedelta | None = None

    def to_query(self, accountant: AccountantId, now: datetime) -> Document:
        """The MongoDB filter for this accountant's matching rows."""
        clauses: list[Document] = [{"accountant_id": accountant}]
        if self.client is not None:
            clauses.append({"client_name": self.client})
        if self.search:
            clauses.append({"company_name": {"$regex": _escape(self.search), "$options": "i"}})
        clauses += [{HAS_FIELDS[figure]: {"$gt": 0}} for figure in self.has]
        if self.failed is not None:
            clauses.append({"last_sync_error": {"$ne": None} if self.failed else None})
        if self.stale_after is not None:
            cutoff = now - self.stale_after
            clauses.append({"$or": [{"last_synced_at": None}, {"last_synced_at": {"$lt": cutoff}}]})
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def sort_spec(sort: str) -> list[tuple[str, int]]:
    """`field` ascending or `-field` descending, then client, company and id to break ties."""
    direction = -1 if sort.startswith("-") else 1
    field = SORT_FIELDS[sort.lstrip("-")]
    return [(field, direction)] + [(f, 1) for f in TIEBREAK if f != field]


async def dashboard_page(
    db: AsyncDatabase[Document],
    accountant: AccountantId,
    where: DashboardFilter,
    sort: str,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> tuple[list[Document], str | None]:
    """One page of matching rows after `cursor`, and the cursor of the next page."""
    spec = sort_spec(sort)
    query = where.to_query(accountant, now)
    if cursor is not None:
        query = {"$and": [query, keyset_after(spec, decode_cursor(cursor, sort, len(spec)))]}
    docs = await db["dashboard_rows"].find(query).sort(spec).limit(limit + 1).to_list()
    page = docs[:limit]
    return page, (encode_cursor(page[-1], sort, spec) if len(docs) > limit and page else None)


def encode_cursor(doc: Document, sort: str, spec: list[tuple[str, int]]) -> str:
    """An opaque cursor just past `doc` in this sort order."""
    key = [_value(doc, field) for field, _ in spec]
    return base64.urlsafe_b64encode(json.dumps({"sort": sort, "key": key}).encode()).decode()


def decode_cursor(cursor: str, sort: str, length: int) -> list[Any]:
    """The sort key in a cursor issued for `sort`; InvalidCursorError for anything else."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as error:
        raise InvalidCursorError(cursor) from error
    if not isinstance(payload, dict) or payload.get("sort") != sort:
        raise InvalidCursorError(cursor)
    key = payload.get("key")
    if not isinstance(key, list) or len(key) != length:
        raise InvalidCursorError(cursor)
    if not all(isinstance(k, str | int) and not isinstance(k, bool) for k in key):
        raise InvalidCursorError(cursor)
    return key


def keyset_after(spec: list[tuple[str, int]], key: list[Any]) -> Document:
    """Documents after `key` in the order `spec` (the keyset condition of a cursor page)."""
    branches = []
    for i, (field, direction) in enumerate(spec):
        equal = {f: key[j] for j, (f, _) in enumerate(spec[:i])}
        branches.append({**equal, field: {"$gt" if direction == 1 else "$lt": key[i]}})
    return {"$or": branches}


def _value(doc: Document, dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if value is not None else 0 if dotted.endswith(("count", "total", "tasks")) else ""


def _escape(text: str) -> str:
    return "".join("\\" + c if c in r"\.^$*+?()[]{}|" else c for c in text[:100])
