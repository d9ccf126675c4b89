"""The dashboard: one row per client company the caller was granted, with the columns they choose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status

from services.gateway.dashboard_query import (
    DashboardFilter,
    HasFigure,
    InvalidCursorError,
    SortKey,
    dashboard_page,
)
from services.gateway.deps import CurrentAccountant, Db
from services.gateway.schemas import DashboardPage, DashboardRow, Problem

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])
Column = Literal[
    "overdue_sales",
    "open_sales_documents",
    "purchase_due_next_week",
    "overdue_purchases",
    "cash",
    "taxes_due",
]
COLUMNS: tuple[Column, ...] = (
    "overdue_sales",
    "open_sales_documents",
    "purchase_due_next_week",
    "overdue_purchases",
    "cash",
    "taxes_due",
)
Sort = Literal[
    SortKey,
    "-client_name",
    "-company_name",
    "-overdue_sales_count",
    "-overdue_purchases_count",
    "-purchase_due_next_week_count",
    "-open_sales_documents",
]


@router.get("", responses={400: {"model": Problem}, 401: {"model": Problem}, 422: {"model": Problem}})
async def read_dashboard(
    accountant: CurrentAccountant,
    db: Db,
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
    sort: Annotated[Sort, Query(description="a column; prefix '-' for descending")] = "client_name",
    limit: Annotated[int, Query(ge=1, le=500, description="rows per page")] = 100,
    cursor: Annotated[str | None, Query(max_length=2000, description="from `next_cursor`")] = None,
) -> DashboardPage:
    """The caller's rows with each row's freshness and last error; filter, sort and page them."""
    where = DashboardFilter(
        client=client,
        search=q,
        has=tuple(has or ()),
        failed=failed,
        stale_after=timedelta(minutes=stale_minutes) if stale_minutes else None,
    )
    try:
        docs, next_cursor = await dashboard_page(
            db, accountant, where, sort, limit, cursor, datetime.now(UTC)
        )
    except InvalidCursorError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail="cursor: not a cursor from this API for this sort; start again without it.",
        ) from None
    hidden = {column: None for column in COLUMNS if columns is not None and column not in columns}
    rows = [DashboardRow.model_validate({**doc, **hidden}) for doc in docs]
    return DashboardPage(rows=rows, next_cursor=next_cursor)
