"""Saved views: the caller's named dashboard columns, filters and sort; one may be the default."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status

from services.gateway.deps import CurrentAccountant, SavedViews
from services.gateway.schemas import Problem
from services.gateway.views import MAX_VIEWS, TooManyViewsError, View, ViewIn, ViewPatch, Views

router = APIRouter(prefix="/api/v1/views", tags=["views"])
NOT_FOUND = "No such view among yours: list them with GET /api/v1/views."
ViewId = Annotated[str, Path(min_length=1, max_length=64, description="from GET /api/v1/views")]
ERRORS: dict[int | str, dict[str, object]] = {401: {"model": Problem}, 422: {"model": Problem}}


@router.get("", responses={401: {"model": Problem}})
async def list_views(accountant: CurrentAccountant, views: SavedViews) -> Views:
    """Your saved views, by name."""
    return Views(views=await views.list(accountant))


@router.post("", status_code=status.HTTP_201_CREATED, responses={**ERRORS, 409: {"model": Problem}})
async def create_view(accountant: CurrentAccountant, views: SavedViews, body: ViewIn) -> View:
    """Save columns, filters and sort under a name; `is_default` makes it the one the dashboard opens with."""
    try:
        return await views.create(accountant, body)
    except TooManyViewsError:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=f"You have {MAX_VIEWS} views already: delete one first."
        ) from None


@router.patch("/{view_id}", responses={**ERRORS, 404: {"model": Problem}})
async def update_view(
    accountant: CurrentAccountant, views: SavedViews, view_id: ViewId, body: ViewPatch
) -> View:
    """Rename a view, change what it shows, or make it the default (the previous default stops being one)."""
    updated = await views.update(accountant, view_id, body)
    if updated is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
    return updated


@router.delete(
    "/{view_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**ERRORS, 404: {"model": Problem}}
)
async def delete_view(accountant: CurrentAccountant, views: SavedViews, view_id: ViewId) -> Response:
    """Delete a view."""
    if not await views.delete(accountant, view_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
