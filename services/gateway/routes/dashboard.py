"""The dashboard: one row per client company the caller was granted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from services.gateway.deps import CurrentAccountant, Db
from services.gateway.queries import InvalidCursorError, dashboard_rows
from services.gateway.schemas import DashboardPage, DashboardRow, Problem

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])


@router.get("", responses={400: {"model": Problem}, 401: {"model": Problem}})
async def read_dashboard(
    accountant: CurrentAccountant,
    db: Db,
    limit: Annotated[int, Query(ge=1, le=500, description="rows per page")] = 100,
    cursor: Annotated[str | None, Query(max_length=2000, description="from `next_cursor`")] = None,
) -> DashboardPage:
    """The caller's rows, sorted by client then company, with each row's freshness and last error."""
    try:
        docs, next_cursor = await dashboard_rows(db, accountant, limit, cursor)
    except InvalidCursorError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail="cursor: not a cursor from this API; start again without it.",
        ) from None
    return DashboardPage(rows=[DashboardRow.model_validate(d) for d in docs], next_cursor=next_cursor)
