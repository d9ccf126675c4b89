"""Read-only queries over the aggregator's projections, always scoped to one accountant."""

from __future__ import annotations

import base64
import json

from pymongo.asynchronous.database import AsyncDatabase

from shared.ids import AccountantId
from shared.mongo import Document

SORT = [("client_name", 1), ("company_name", 1), ("company_id", 1)]


class InvalidCursorError(ValueError):
    """A pagination cursor that this API did not issue."""


async def dashboard_rows(
    db: AsyncDatabase[Document], accountant: AccountantId, limit: int, cursor: str | None
) -> tuple[list[Document], str | None]:
    """One page of the accountant's rows after `cursor`, and the cursor of the next page."""
    query: Document = {"accountant_id": accountant}
    if cursor is not None:
        query = {"$and": [query, _after(decode_cursor(cursor))]}
    docs = await db["dashboard_rows"].find(query).sort(SORT).limit(limit + 1).to_list()
    has_more = len(docs) > limit
    page = docs[:limit]
    return page, (encode_cursor(page[-1]) if has_more and page else None)


def encode_cursor(doc: Document) -> str:
    """An opaque cursor pointing just past `doc` in the sort order."""
    key = [doc.get("client_name") or "", doc.get("company_name") or "", doc["company_id"]]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def decode_cursor(cursor: str) -> list[str]:
    """The sort key inside a cursor; raises InvalidCursorError for anything else."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as error:
        raise InvalidCursorError(cursor) from error
    if not (isinstance(key, list) and len(key) == len(SORT) and all(isinstance(k, str) for k in key)):
        raise InvalidCursorError(cursor)
    return key


def _after(key: list[str]) -> Document:
    client, company, company_id = key
    return {
        "$or": [
            {"client_name": {"$gt": client}},
            {"client_name": client, "company_name": {"$gt": company}},
            {"client_name": client, "company_name": company, "company_id": {"$gt": company_id}},
        ]
    }


async def company_for(
    db: AsyncDatabase[Document], accountant: AccountantId, company_id: str
) -> tuple[Document, Document] | None:
    """The accountant's row and the company's details, or None when the company is not theirs
    (or does not exist: the two are indistinguishable on purpose)."""
    row = await db["dashboard_rows"].find_one({"accountant_id": accountant, "company_id": company_id})
    if row is None:
        return None
    details = await db["company_details"].find_one({"_id": company_id}) or {}
    return row, details
