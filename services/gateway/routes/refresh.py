"""Refresh: sync one company, a client's companies, a selection, or all of yours now, and follow it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.gateway.commands import CommandsUnavailableError
from services.gateway.deps import Commands, CurrentAccountant, Db, RefreshJobs
from services.gateway.refresh_jobs import RefreshClaimContendedError, RefreshJob, Scope, correlation_id
from services.gateway.schemas import Problem
from shared.commands import RefreshRequested, interleaved
from shared.ids import AccountantId, CompanyId
from shared.mongo import Document
from shared.topics import SYNC_COMMANDS

log = structlog.get_logger()
router = APIRouter(prefix="/api/v1/refresh", tags=["refresh"])
CompanyIdText = Annotated[str, StringConstraints(min_length=1, max_length=100)]
MAX_SELECTED = 1000
NOT_FOUND = "company_ids: no such company among yours; check the ids on your dashboard."


class RefreshIn(BaseModel):
    """What to refresh: `company` (one id in `company_ids`), `client` (by name), `selected` or `all`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    scope: Scope
    company_ids: list[CompanyIdText] | None = Field(default=None, max_length=MAX_SELECTED)
    client: str | None = Field(default=None, min_length=1, max_length=200, description="a client name")


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        401: {"model": Problem},
        404: {"model": Problem},
        409: {"model": Problem},
        429: {"model": Problem},
        503: {"model": Problem},
    },
)
async def start_refresh(
    body: RefreshIn,
    request: Request,
    response: Response,
    accountant: CurrentAccountant,
    db: Db,
    jobs: RefreshJobs,
    commands: Commands,
) -> RefreshJob:
    """Start syncing the chosen companies now; the same request while it runs returns the running job."""
    rows = await _companies(db, accountant, body)
    now = datetime.now(UTC)
    company_ids = [r["company_id"] for r in rows]
    running = await jobs.running_identical(accountant, body.scope, company_ids, now)
    if running is not None:
        return running
    settings = request.app.state.refresh_limits
    wait = await jobs.retry_after(accountant, settings.per_window, settings.window, now)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=(
                f"Too many refreshes: at most {settings.per_window} per "
                f"{int(settings.window.total_seconds())} s. Try again in {wait} s."
            ),
            headers={"Retry-After": str(wait)},
        )
    job_id = uuid.uuid4().hex
    created = await jobs.create(job_id, accountant, body.scope, rows, now)
    try:
        holder = await jobs.claim(job_id, accountant, body.scope, company_ids, now)
    except RefreshClaimContendedError:
        await jobs.forget(job_id)
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="An identical refresh is being started right now; try again in a second.",
            headers={"Retry-After": "1"},
        ) from None
    if holder is not None:  # an identical request won the race: both callers follow its job
        await jobs.forget(job_id)
        return holder
    try:
        by_client = [r["company_id"] for r in interleaved(rows, lambda r: str(r.get("client_name", "")))]
        await commands.send(SYNC_COMMANDS, _commands(job_id, accountant, by_client))
    except CommandsUnavailableError:
        await jobs.forget(job_id)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="Refresh is unavailable right now (figures still update on their own); try again later.",
            headers={"Retry-After": "30"},
        ) from None
    response.headers["Location"] = f"/api/v1/refresh/{job_id}"
    # Answered from what was just written, not read back: the commands are out, and reading now would
    # queue behind the very syncs they start (a refresh-all of 1,000 companies floods the database).
    return created


@router.get("/{job_id}", responses={401: {"model": Problem}, 404: {"model": Problem}})
async def read_refresh(
    accountant: CurrentAccountant,
    jobs: RefreshJobs,
    job_id: Annotated[str, Path(min_length=1, max_length=64, description="from POST /api/v1/refresh")],
) -> RefreshJob:
    """A refresh job's progress: companies done, failed (with why) and pending."""
    job = await jobs.get(accountant, job_id, datetime.now(UTC))
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such refresh among yours.")
    return job


async def _companies(db: Db, accountant: AccountantId, body: RefreshIn) -> list[Document]:
    """The caller's rows the request names; 422 for a request that names nothing, 404 for others' ids."""
    query: Document = {"accountant_id": accountant}
    if body.scope in ("company", "selected"):
        wanted = sorted(set(body.company_ids or []))
        if not wanted or (body.scope == "company" and len(wanted) != 1):
            count = "exactly one company id" if body.scope == "company" else "at least one company id"
            _bad("company_ids", f"scope {body.scope} needs {count}")
        query["company_id"] = {"$in": wanted}
    elif body.scope == "client":
        if body.client is None:
            _bad("client", "scope client needs the client's name")
        query["client_name"] = body.client
    projection = {"company_id": 1, "company_name": 1, "client_name": 1}
    rows = await db["dashboard_rows"].find(query, projection).sort("company_id", 1).to_list()
    if body.scope in ("company", "selected") and len(rows) != len(query["company_id"]["$in"]):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
    if body.scope == "client" and not rows:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="client: no such client among yours.")
    return rows


def _commands(job_id: str, accountant: AccountantId, company_ids: list[str]) -> list[RefreshRequested]:
    correlation = correlation_id(job_id)
    return [
        RefreshRequested(company_id=CompanyId(c), correlation_id=correlation, requested_by=accountant)
        for c in company_ids
    ]


def _bad(field: str, message: str) -> Any:
    raise RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


class RefreshLimits(BaseModel):
    """How many refresh jobs one accountant may start per window."""

    per_window: int
    window: timedelta
