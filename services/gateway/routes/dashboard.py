"""The dashboard: one row per client company the caller was granted, with the columns they choose."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from services.gateway.dashboard_query import (
    COLUMNS,
    DEFAULT_SORT,
    Column,
    HasFigure,
    InvalidCursorError,
    Sort,
    dashboard_page,
)
from services.gateway.deps import CurrentAccountant, Db, SavedViews
from services.gateway.schemas import DashboardPage, DashboardRow, Problem
from services.gateway.views import ViewFilters

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])


@router.get(
    "",
    responses={
        400: {"model": Problem},
        401: {"model": Problem},
        404: {"model": Problem},
        422: {"model": Problem},
    },
)
async def read_dashboard(
    accountant: CurrentAccountant,
    db: Db,
    views: SavedViews,
    view: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="a saved view's id: its columns, filters and sort"),
    ] = None,
    columns: Annotated[list[Column] | None, Query(description="figures to include (all when absent)")] = None,
    client: Annotated[str | None, Query(max_length=200, description="only this client's companies")] = None,
    q: Annotated[str | None, Query(max_length=100, description="company name contains (any case)")] = None,
    has: Annotated[
        list[HasFigure] | None, Query(description="only rows where these figures are non-zero")
    ] = None,
    failed: Annotated[bool | None, Query(description="true: only rows whose last sync failed")] = None,
    stale_minutes: Annotated[
        int | None, Query(ge=1, le=525_600, description="only rows not synced for this many minutes")
    ] = None,
    sort: Annotated[
        Sort | None, Query(description="a column; prefix '-' for descending (default: client_name)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="rows per page")] = 100,
    cursor: Annotated[str | None, Query(max_length=2000, description="from `next_cursor`")] = None,
) -> DashboardPage:
    """The caller's rows with each row's freshness and last error; filter, sort and page them.

    With `view`, the saved view's columns, filters and sort apply; parameters given as well win."""
    asked = ViewFilters(client=client, q=q, has=has, failed=failed, stale_minutes=stale_minutes)
    filters, shown, order = asked, columns, sort
    if view is not None:
        saved = await views.get(accountant, view)
        if saved is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="view: no such view among yours.")
        filters = saved.filters.model_copy(update=asked.model_dump(exclude_none=True))
        shown, order = columns if columns is not None else saved.columns, sort or saved.sort
    try:
        docs, next_cursor = await dashboard_page(
            db, accountant, filters.to_filter(), order or DEFAULT_SORT, limit, cursor, datetime.now(UTC)
        )
    except InvalidCursorError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail="cursor: not a cursor from this API for this sort; start again without it.",
        ) from None
    hidden = {column: None for column in COLUMNS if shown is not None and column not in shown}
    rows = [DashboardRow.model_validate({**doc, **hidden}) for doc in docs]
    return DashboardPage(rows=rows, next_cursor=next_cursor)
