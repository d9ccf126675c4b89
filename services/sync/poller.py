"""Keeps every client connection fresh: list its companies, sync each, sleep, repeat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence

import httpx
import structlog

from services.sync.connectors.base import ClientSystemError, RemoteCompany
from services.sync.directory import CompanyDirectory
from services.sync.handlers import SyncContext, failure_reason, report_failure, sync_company
from shared.ids import CompanyId

log = structlog.get_logger()
POLL_PACE_SECONDS = 10.0
"""Polls keep to their share of the request budget over any this many seconds."""


async def sync_connection(
    ctx: SyncContext,
    known: dict[str, RemoteCompany],
    spread: float = 0.0,
    narrow: bool = False,
) -> int:
    """One pass over a client's companies; returns how many records changed. When the company list itself
    fails, each known row shows it; a company whose changes could not be published fails alone.

    With `spread`, the companies start evenly over that many seconds instead of all at once: a poll of
    a thousand companies is then a steady trickle beside the webhook syncs, not a burst in front of them.
    With `narrow`, a company Business Central notifies us about is asked only what no notification
    covers (the context's coverage: services/sync/coverage.py)."""
    try:
        companies = await ctx.connector.list_companies()
    except (ClientSystemError, httpx.HTTPError) as error:
        reason = failure_reason(error)
        for company in known.values():
            company_id = CompanyId(company.id)
            await report_failure(ctx, company_id, await ctx.store.load(company_id), reason)
        return 0
    known.clear()
    known.update({c.id: c for c in companies})
    gap = spread / len(companies) if companies else 0.0
    outcomes = await asyncio.gather(
        *(_after(index * gap, _poll(ctx, c, narrow)) for index, c in enumerate(companies)),
        return_exceptions=True,
    )
    changed = 0
    for company, outcome in zip(companies, outcomes, strict=True):
        if isinstance(outcome, int):
            changed += outcome
        elif isinstance(outcome, Exception):
            # Publishing failed (Kafka did not acknowledge): that company's watermarks did not move, so
            # the next pass sends its changes again. It is that company's failure, not the connection's.
            log.error(
                "company_sync_error",
                client_id=ctx.connection.client_id,
                company_id=company.id,
                exc_info=outcome,
            )
        else:
            raise outcome  # cancellation and the like: stop the pass
    return changed


async def poll_forever(
    contexts: Sequence[SyncContext],
    interval_seconds: float,
    directory: CompanyDirectory | None = None,
) -> None:
    """Sync every company of every connection once per `interval_seconds`; an unexpected error is logged
    and retried. The first pass after start takes every company at once and reads everything (catching
    up, also on notifications missed while down); later passes spread each connection's companies over
    the interval, and ask the companies their context's coverage names only what no notification covers.

    `contexts` is read afresh on every pass, so connections registered while running join in."""
    directory = directory or CompanyDirectory()
    spread, narrow = 0.0, False
    while True:
        started = time.monotonic()
        current = list(contexts)
        for ctx, outcome in zip(
            current,
            await asyncio.gather(
                *(
                    sync_connection(ctx, directory.known(ctx.connection.client_id), spread, narrow)
                    for ctx in current
                ),
                return_exceptions=True,
            ),
            strict=True,
        ):
            if isinstance(outcome, BaseException):
                log.error("sync_pass_failed", client_id=ctx.connection.client_id, exc_info=outcome)
            elif outcome:
                log.info("sync_pass", client_id=ctx.connection.client_id, changed=outcome)
        spread, narrow = interval_seconds, True
        await asyncio.sleep(max(0.0, interval_seconds - (time.monotonic() - started)))


async def _poll(ctx: SyncContext, company: RemoteCompany, narrow: bool) -> int:
    if ctx.budget is not None:
        # Polls keep to their share of the environment's budget, spread evenly: when recent requests
        # reach it, the poll waits (and its round with it), every company still comes in its turn,
        # and the rest of the window stays for notified and asked-for passes.
        await ctx.budget.paced(ctx.poll_budget_share, POLL_PACE_SECONDS)
    coverage = ctx.coverage if narrow else None
    only = coverage.poll_only(ctx.connection.client_id, company.id) if coverage is not None else None
    return await sync_company(ctx, company, only=only)


async def _after(delay: float, sync: Awaitable[int]) -> int:
    if delay > 0:
        await asyncio.sleep(delay)
    return await sync
