"""Saved views: an accountant's named columns + filters + sort for the dashboard, one of them default.

Owned by the gateway (`gw_views`). A view is private to its owner: every read and write is
filtered by owner, so someone else's view id is indistinguishable from one that does not exist.
Columns, filters and sort accept exactly what the dashboard query accepts (the same Literals).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from services.gateway.dashboard_query import Column, DashboardFilter, HasFigure, Sort
from shared.ids import AccountantId
from shared.mongo import Document

ViewName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
MAX_VIEWS = 100


class ViewFilters(BaseModel):
    """The dashboard filters a view applies (the same as the dashboard's query parameters)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    client: str | None = Field(default=None, max_length=200, description="only this client's companies")
    q: str | None = Field(default=None, max_length=100, description="company name contains (any case)")
    has: list[HasFigure] | None = Field(default=None, description="only rows where these are non-zero")
    failed: bool | None = Field(default=None, description="true: only rows whose last sync failed")
    stale_minutes: int | None = Field(default=None, ge=1, le=525_600, description="not synced for this long")

    def to_filter(self) -> DashboardFilter:
        """The dashboard query's filter."""
        return DashboardFilter(
            client=self.client,
            search=self.q,
            has=tuple(self.has or ()),
            failed=self.failed,
            stale_after=timedelta(minutes=self.stale_minutes) if self.stale_minutes else None,
        )


class ViewIn(BaseModel):
    """A new saved view."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: ViewName
    columns: list[Column] = Field(max_length=20, description="figures to show, in order")
    filters: ViewFilters = Field(default_factory=ViewFilters)
    sort: Sort | None = Field(default=None, description="a column; prefix '-' for descending")
    is_default: bool = Field(default=False, description="open the dashboard with this view")


class ViewPatch(BaseModel):
    """Changes to a saved view; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: ViewName | None = None
    columns: list[Column] | None = Field(default=None, max_length=20)
    filters: ViewFilters | None = None
    sort: Sort | None = None
    is_default: bool | None = None


class View(BaseModel):
    """A saved view."""

    id: str
    name: str
    columns: list[Column]
    filters: ViewFilters
    sort: Sort | None
    is_default: bool


class Views(BaseModel):
    """The caller's saved views, by name."""

    views: list[View]


class TooManyViewsError(Exception):
    """The owner already has MAX_VIEWS views."""


class ViewStore:
    """Saved views in MongoDB, always scoped to their owner."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._views = db["gw_views"]

    async def create_indexes(self) -> None:
        """Listing is by owner."""
        await self._views.create_index([("owner", 1), ("name", 1)])

    async def list(self, owner: AccountantId) -> list[View]:
        """The owner's views, by name."""
        docs = await self._views.find({"owner": owner}).sort([("name", 1), ("_id", 1)]).to_list()
        return [_view(doc) for doc in docs]

    async def get(self, owner: AccountantId, view_id: str) -> View | None:
        """The owner's view, or None (also for somebody else's)."""
        doc = await self._views.find_one({"_id": view_id, "owner": owner})
        return _view(doc) if doc else None

    async def create(self, owner: AccountantId, new: ViewIn) -> View:
        """Store a new view; making it default un-defaults the owner's others."""
        if await self._views.count_documents({"owner": owner}) >= MAX_VIEWS:
            raise TooManyViewsError
        view_id = uuid.uuid4().hex
        if new.is_default:
            await self._clear_default(owner)
        await self._views.insert_one({"_id": view_id, "owner": owner, **new.model_dump(mode="json")})
        created = await self.get(owner, view_id)
        assert created is not None  # noqa: S101 - just inserted
        return created

    async def update(self, owner: AccountantId, view_id: str, patch: ViewPatch) -> View | None:
        """Apply the fields present in `patch`; None when the owner has no such view."""
        sent: dict[str, Any] = patch.model_dump(mode="json", exclude_unset=True)
        # Only `sort` can be cleared (null = the dashboard's default order); other nulls change nothing.
        changes = {key: value for key, value in sent.items() if value is not None or key == "sort"}
        if not changes:
            return await self.get(owner, view_id)
        if changes.get("is_default"):
            if await self.get(owner, view_id) is None:
                return None
            await self._clear_default(owner)
        doc = await self._views.find_one_and_update(
            {"_id": view_id, "owner": owner},
            {"$set": changes},
            return_document=ReturnDocument.AFTER,
        )
        return _view(doc) if doc else None

    async def delete(self, owner: AccountantId, view_id: str) -> bool:
        """Remove the owner's view; False when there was none."""
        result = await self._views.delete_one({"_id": view_id, "owner": owner})
        return result.deleted_count == 1

    async def _clear_default(self, owner: AccountantId) -> None:
        await self._views.update_many({"owner": owner, "is_default": True}, {"$set": {"is_default": False}})


def _view(doc: Document) -> View:
    return View.model_validate({**doc, "id": doc["_id"]})
