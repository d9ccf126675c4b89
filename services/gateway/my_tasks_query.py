"""My User Tasks: the caller's open tasks from the aggregator's `my_tasks` projection. Read-only;
filters, a sort and keyset pagination (cursors shaped like the dashboard's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pymongo.asynchronous.database import AsyncDatabase

from services.gateway.dashboard_query import decode_cursor, encode_cursor, keyset_after
from shared.ids import AccountantId
from shared.mongo import Document

TaskSort = Literal["due_date", "-due_date", "client", "priority"]
SORTS: dict[str, list[tuple[str, int]]] = {
    "due_date": [("due_sort", 1), ("task_id", 1)],
    "-due_date": [("due_sort", -1), ("task_id", 1)],
    "client": [("client_name", 1), ("company_name", 1), ("due_sort", 1), ("task_id", 1)],
    "priority": [("priority_rank", 1), ("due_sort", 1), ("task_id", 1)],
}


@dataclass(frozen=True)
class TaskFilter:
    """Which of the caller's tasks: one client's, overdue ones, ones due this week."""

    client: str | None = None
    overdue: bool | None = None
    due_this_week: bool | None = None

    def to_query(self, accountant: AccountantId) -> Document:
        """The MongoDB filter for this accountant's matching tasks."""
        query: Document = {"accountant_id": accountant}
        if self.client is not None:
            query["client_name"] = self.client
        if self.overdue is not None:
            query["overdue"] = self.overdue
        if self.due_this_week is not None:
            query["due_this_week"] = self.due_this_week
        return query


async def my_tasks_page(
    db: AsyncDatabase[Document],
    accountant: AccountantId,
    where: TaskFilter,
    sort: TaskSort,
    limit: int,
    cursor: str | None,
) -> tuple[list[Document], str | None]:
    """One page of the caller's matching tasks after `cursor`, and the cursor of the next page."""
    spec = SORTS[sort]
    query = where.to_query(accountant)
    if cursor is not None:
        query = {"$and": [query, keyset_after(spec, decode_cursor(cursor, sort, len(spec)))]}
    docs = await db["my_tasks"].find(query).sort(spec).limit(limit + 1).to_list()
    page = docs[:limit]
    return page, (encode_cursor(page[-1], sort, spec) if len(docs) > limit and page else None)
