"""Server-Sent Events: the caller's refresh jobs as they progress, and which dashboard rows changed.

Rows: pushed as MongoDB reports them (services/gateway/row_changes.py: one change stream per gateway
process, open while any event stream is), at most one `rows` event every ROWS_AT_MOST_EVERY seconds,
so a stream costs nothing while its accountant's rows stay as they are, however many there are.
Jobs: the caller's recent jobs are read every `stream_poll_seconds` and sent when their progress moved.
The caller's session is checked again every `stream_session_check_seconds`: a stream ends soon after
its session does (signed out, or the token expired), with a `signed-out` event saying so.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from services.gateway.deps import Accounts, CurrentAccountant, Db, RefreshJobs, SessionToken, token_owner
from services.gateway.refresh_jobs import RefreshJobStore
from services.gateway.row_changes import RowChanges, RowSubscription
from services.gateway.schemas import Problem
from shared.ids import AccountantId

router = APIRouter(prefix="/api/v1/stream", tags=["stream"])
JOB_HORIZON = timedelta(minutes=15)
HEARTBEAT_EVERY = 15.0
ROWS_AT_MOST_EVERY = 0.25
MAX_LIFETIME = timedelta(minutes=30)
SIGNED_OUT = "your session ended: sign in again (POST /api/v1/session), then reconnect"
EVENT_STREAM = {
    "description": (
        "`event: job` with a RefreshJob whenever one of your jobs progresses; `event: rows` with "
        '{"company_ids": [...]} whose dashboard rows changed (or disappeared), as they change. With '
        '"resync": true, changes may have been missed: company_ids then lists every row you have now, '
        "and rows not in it are gone. Comments keep the connection alive; the server closes it after "
        "30 minutes (EventSource reconnects), and soon after your session ends, with `event: signed-out` "
        "first (sign in again, then reconnect)."
    ),
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


@dataclass(frozen=True)
class Pace:
    """How often a stream reads the caller's jobs, and checks their session is still valid (seconds)."""

    jobs: float
    session: float


@router.get("", response_class=StreamingResponse, responses={200: EVENT_STREAM, 401: {"model": Problem}})
async def stream(
    request: Request,
    accountant: CurrentAccountant,
    token: SessionToken,
    accounts: Accounts,
    db: Db,
    jobs: RefreshJobs,
) -> StreamingResponse:
    """Refresh progress and changed rows, pushed as they happen."""
    pace = Pace(request.app.state.stream_poll_seconds, request.app.state.stream_session_check_seconds)
    rows: RowChanges = request.app.state.row_changes

    async def signed_in() -> bool:
        return await token_owner(request, token, accounts) == accountant

    return StreamingResponse(
        _events(request, accountant, signed_in, db, jobs, rows, pace),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request,
    accountant: AccountantId,
    signed_in: Callable[[], Awaitable[bool]],
    db: Db,
    jobs: RefreshJobStore,
    rows: RowChanges,
    pace: Pace,
) -> AsyncIterator[str]:
    seen_jobs: dict[str, tuple[int, int, str]] = {}
    ends = time.monotonic() + MAX_LIFETIME.total_seconds()
    next_jobs, next_beat = time.monotonic(), time.monotonic() + HEARTBEAT_EVERY
    next_check = time.monotonic() + pace.session
    last_rows = float("-inf")
    async with rows.subscribe(accountant) as changes:
        yield "retry: 3000\n\n"  # first, so a client that read it knows every change after it comes
        while not await request.is_disconnected() and time.monotonic() < ends:
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + pace.session
                if not await signed_in():
                    yield _event("signed-out", json.dumps({"detail": SIGNED_OUT}))
                    return
            if time.monotonic() >= next_jobs:
                next_jobs = time.monotonic() + pace.jobs
                now = datetime.now(UTC)
                for job in await jobs.recent(accountant, now - JOB_HORIZON, now):
                    mark = (job.done, job.failed, job.state)
                    if seen_jobs.get(job.id) != mark:
                        seen_jobs[job.id] = mark
                        yield _event("job", job.model_dump_json())
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + HEARTBEAT_EVERY
                yield ": keep-alive\n\n"
            if await changes.wait(max(0.0, min(next_jobs, next_check) - time.monotonic())):
                await asyncio.sleep(max(0.0, last_rows + ROWS_AT_MOST_EVERY - time.monotonic()))
                last_rows = time.monotonic()
                yield await _rows_event(db, accountant, changes)


async def _rows_event(db: Db, accountant: AccountantId, changes: RowSubscription) -> str:
    company_ids, everything = changes.take()
    if not everything:
        return _event("rows", json.dumps({"company_ids": sorted(company_ids)}))
    now_listed = await db["dashboard_rows"].distinct("company_id", {"accountant_id": accountant})
    return _event("rows", json.dumps({"company_ids": sorted(now_listed), "resync": True}))


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"
