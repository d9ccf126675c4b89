"""Server-Sent Events: the caller's refresh jobs as they progress, and which dashboard rows changed.

Rows: pushed as MongoDB reports them (services/gateway/row_changes.py: one change stream per gateway
process, open while any event stream is), at most one `rows` event every ROWS_AT_MOST_EVERY seconds,
so a stream costs nothing while its accountant's rows stay as they are, however many there are.
Jobs: the caller's recent jobs are read every `stream_poll_seconds` and sent when their progress moved.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from services.gateway.deps import CurrentAccountant, Db, RefreshJobs
from services.gateway.refresh_jobs import RefreshJobStore
from services.gateway.row_changes import RowChanges, RowSubscription
from services.gateway.schemas import Problem
from shared.ids import AccountantId

router = APIRouter(prefix="/api/v1/stream", tags=["stream"])
JOB_HORIZON = timedelta(minutes=15)
HEARTBEAT_EVERY = 15.0
ROWS_AT_MOST_EVERY = 0.25
MAX_LIFETIME = timedelta(minutes=30)
EVENT_STREAM = {
    "description": (
        "`event: job` with a RefreshJob whenever one of your jobs progresses; `event: rows` with "
        '{"company_ids": [...]} whose dashboard rows changed (or disappeared), as they change. With '
        '"resync": true, changes may have been missed: company_ids then lists every row you have now, '
        "and rows not in it are gone. Comments keep the connection alive; the server closes it after "
        "30 minutes (EventSource reconnects)."
    ),
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


@router.get("", response_class=StreamingResponse, responses={200: EVENT_STREAM, 401: {"model": Problem}})
async def stream(
    request: Request, accountant: CurrentAccountant, db: Db, jobs: RefreshJobs
) -> StreamingResponse:
    """Refresh progress and changed rows, pushed as they happen."""
    interval: float = request.app.state.stream_poll_seconds
    rows: RowChanges = request.app.state.row_changes
    return StreamingResponse(
        _events(request, accountant, db, jobs, rows, interval),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request,
    accountant: AccountantId,
    db: Db,
    jobs: RefreshJobStore,
    rows: RowChanges,
    interval: float,
) -> AsyncIterator[str]:
    seen_jobs: dict[str, tuple[int, int, str]] = {}
    ends = time.monotonic() + MAX_LIFETIME.total_seconds()
    next_jobs, next_beat = time.monotonic(), time.monotonic() + HEARTBEAT_EVERY
    last_rows = float("-inf")
    async with rows.subscribe(accountant) as changes:
        yield "retry: 3000\n\n"  # first, so a client that read it knows every change after it comes
        while not await request.is_disconnected() and time.monotonic() < ends:
            if time.monotonic() >= next_jobs:
                next_jobs = time.monotonic() + interval
                now = datetime.now(UTC)
                for job in await jobs.recent(accountant, now - JOB_HORIZON, now):
                    mark = (job.done, job.failed, job.state)
                    if seen_jobs.get(job.id) != mark:
                        seen_jobs[job.id] = mark
                        yield _event("job", job.model_dump_json())
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + HEARTBEAT_EVERY
                yield ": keep-alive\n\n"
            if await changes.wait(max(0.0, next_jobs - time.monotonic())):
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
