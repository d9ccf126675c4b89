"""Server-Sent Events: the caller's refresh jobs as they progress, and which dashboard rows changed.

Implemented by polling the gateway's own collections server-side every `stream_poll_seconds`
(one query for the caller's recent jobs, one for their rows, compared with what this stream saw
last). That keeps every gateway pod stateless and needs nothing new from the aggregator; its cost
grows with the caller's row count, so for thousands of rows per accountant the aggregator should
stamp rows with a change counter and this would ask only for rows past it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from services.gateway.deps import CurrentAccountant, Db, RefreshJobs
from services.gateway.refresh_jobs import RefreshJobStore
from services.gateway.schemas import Problem
from shared.ids import AccountantId
from shared.mongo import Document

router = APIRouter(prefix="/api/v1/stream", tags=["stream"])
JOB_HORIZON = timedelta(minutes=15)
HEARTBEAT_EVERY = 15
MAX_LIFETIME = timedelta(minutes=30)
EVENT_STREAM = {
    "description": (
        "`event: job` with a RefreshJob whenever one of your jobs progresses; `event: rows` with "
        '{"company_ids": [...]} whose dashboard rows changed (or disappeared). Comments keep the '
        "connection alive; the server closes it after 30 minutes (EventSource reconnects)."
    ),
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


@router.get("", response_class=StreamingResponse, responses={200: EVENT_STREAM, 401: {"model": Problem}})
async def stream(
    request: Request, accountant: CurrentAccountant, db: Db, jobs: RefreshJobs
) -> StreamingResponse:
    """Refresh progress and changed rows, pushed as they happen."""
    interval: float = request.app.state.stream_poll_seconds
    return StreamingResponse(
        _events(request, accountant, db, jobs, interval),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request, accountant: AccountantId, db: Db, jobs: RefreshJobStore, interval: float
) -> AsyncIterator[str]:
    seen_jobs: dict[str, tuple[int, int, str]] = {}
    seen_rows: dict[str, str] | None = None
    started = datetime.now(UTC)
    yield "retry: 3000\n\n"
    tick = 0
    while not await request.is_disconnected() and datetime.now(UTC) - started < MAX_LIFETIME:
        now = datetime.now(UTC)
        for job in await jobs.recent(accountant, now - JOB_HORIZON, now):
            mark = (job.done, job.failed, job.state)
            if seen_jobs.get(job.id) != mark:
                seen_jobs[job.id] = mark
                yield _event("job", job.model_dump_json())
        rows = await _row_fingerprints(db, accountant)
        if seen_rows is not None:
            changed = sorted(k for k in rows.keys() | seen_rows.keys() if rows.get(k) != seen_rows.get(k))
            if changed:
                yield _event("rows", json.dumps({"company_ids": changed}))
        seen_rows = rows
        tick += 1
        if tick % max(1, int(HEARTBEAT_EVERY / interval)) == 0:
            yield ": keep-alive\n\n"
        await asyncio.sleep(interval)


async def _row_fingerprints(db: Db, accountant: AccountantId) -> dict[str, str]:
    docs: list[Document] = await db["dashboard_rows"].find({"accountant_id": accountant}).to_list()
    return {
        d["company_id"]: hashlib.sha1(repr(sorted(d.items())).encode(), usedforsecurity=False).hexdigest()
        for d in docs
    }


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"
