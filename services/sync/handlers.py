"""Sync's use cases: pull what changed in a company's books and announce it, in order, once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import httpx
import structlog

from services.sync.connectors.base import ClientSystemError, Connector, RemoteCompany
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.coverage import WebhookCoverage
from services.sync.events import record_events
from services.sync.metrics import SyncMetrics
from services.sync.publishing import Outbox
from services.sync.pulling import DEFAULT_FULL_PASS, PulledChanges, pull_changes
from services.sync.repository import CompanySyncState, SyncStateStore
from services.sync.settings import BC_REQUESTS_AT_ONCE, POLL_BUDGET_SHARE, ClientConnection
from services.sync.snapshots import fingerprint, only_changed_snapshots
from shared.dates import company_today
from shared.events import (
    AccessGranted,
    AccessRevoked,
    CompanyDiscovered,
    CompanySyncFailed,
    CompanySyncSucceeded,
)
from shared.ids import AccountantId, CompanyId, accountant_id
from shared.records import CompanyProfile
from shared.topics import ACCESS_EVENTS, COMPANY_RECORDS, COMPANY_SYNC_STATUS

log = structlog.get_logger()
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Trigger:
    """Why a sync runs when someone asked for it: the status event echoes their correlation id and is
    always published (a poll announces only changes, errors and heartbeats)."""

    correlation_id: str
    causation_id: str | None = None


@dataclass(frozen=True)
class SyncContext:
    """Everything syncing one client connection needs."""

    connection: ClientConnection
    connector: Connector
    store: SyncStateStore
    outbox: Outbox
    now: Clock
    heartbeat: timedelta
    metrics: SyncMetrics | None = None
    full_pass: timedelta = DEFAULT_FULL_PASS
    coverage: WebhookCoverage | None = None
    """Which companies are notified of; told of every failed pass (their next poll reads everything)."""
    budget: SlidingWindowBudget | None = None
    """The environment's request window, shared with its connector: polls leave part of it to
    notified and asked-for passes (`poll_budget_share`, SYNC_POLL_BUDGET_SHARE)."""
    poll_budget_share: float = POLL_BUDGET_SHARE
    locks: defaultdict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))
    passes: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(BC_REQUESTS_AT_ONCE))
    """How many of the connection's companies sync at once (as many as its environment serves requests
    at once: more would only queue for them); the others wait before pulling anything."""
    process_passes: asyncio.Semaphore | None = None
    """Shared by every context of the process: how many companies it syncs at once in all
    (SYNC_COMPANIES_AT_ONCE). A pass holds everything it pulled until Kafka acknowledged it, so this
    bounds sync's memory however many connections it serves."""


async def sync_company(
    ctx: SyncContext,
    company: RemoteCompany,
    trigger: Trigger | None = None,
    only: frozenset[str] | None = None,
    deleted_from: frozenset[str] = frozenset(),
) -> int:
    """Pull what changed in a company's books (in the entity sets `only` names, when given, listing
    the ids of those `deleted_from` names; see services/sync/pulling.py) and publish it; returns how
    many records changed.

    One pass per company at a time (poll and refresh commands queue on the company's lock), so two
    passes never publish the same changes twice or overwrite each other's watermarks. A pass waits for
    a turn of its connection (`ctx.passes`), then of the process (`ctx.process_passes`): the process's
    queue then holds a few companies of each connection in turn, not one connection's whole list."""
    started = time.perf_counter()
    changed: int | None = None
    try:
        async with ctx.locks[company.id], ctx.passes, ctx.process_passes or contextlib.nullcontext():
            if ctx.metrics is not None:
                ctx.metrics.wait_seconds.observe(time.perf_counter() - started)
            changed = await _sync_company(ctx, company, trigger, only, deleted_from)
    finally:
        if changed is None and ctx.coverage is not None:
            ctx.coverage.owe(company.id)
    if ctx.metrics is not None:
        outcome = "failed" if changed is None else ("changed" if changed else "unchanged")
        ctx.metrics.sync_seconds.labels(outcome).observe(time.perf_counter() - started)
    return changed or 0


async def _sync_company(
    ctx: SyncContext,
    company: RemoteCompany,
    trigger: Trigger | None,
    only: frozenset[str] | None,
    deleted_from: frozenset[str],
) -> int | None:
    company_id = CompanyId(company.id)
    state = await ctx.store.load(company_id)
    try:
        pulled = await pull_changes(
            ctx.connector, company, state, ctx.now(), ctx.full_pass, only, deleted_from
        )
    except (ClientSystemError, httpx.HTTPError) as error:
        await report_failure(ctx, company_id, state, failure_reason(error), trigger)
        return None
    batch = ctx.outbox.batch(company_id)
    profile = _profile(ctx.connection, company)
    profile_digest = fingerprint(profile)
    if profile_digest != state.profile_fingerprint:
        batch.add(COMPANY_RECORDS, _discovered_event(company_id, profile))
    today = company_today(profile.time_zone, ctx.now())
    pulled, snapshots = only_changed_snapshots(pulled, state.snapshot_fingerprints, today)
    for make in record_events(company_id, pulled, today):
        batch.add(COMPANY_RECORDS, make)
    grants = {accountant_id(email) for email in ctx.connection.granted_to}
    for accountant in sorted(grants - state.announced_grants):
        batch.add(ACCESS_EVENTS, _grant_event(company_id, accountant))
    for accountant in sorted(state.announced_grants - grants):
        batch.add(ACCESS_EVENTS, _revoke_event(company_id, accountant))
    now = ctx.now()
    announce = (
        trigger is not None
        or bool(pulled.fresh)
        or bool(pulled.deletions.deleted)
        or state.last_error is not None
        or _heartbeat_due(state, now, ctx.heartbeat)
    )
    if announce:
        batch.add(COMPANY_SYNC_STATUS, _succeeded_event(company_id, now, trigger))
    await batch.publish()
    announced_ok = now if announce else state.last_announced_ok
    advanced = _advance(pulled, profile_digest, grants, announced_ok, snapshots)
    if advanced != state:  # a pass that found nothing leaves the state as it was: no write
        await ctx.store.save(company_id, advanced)
    return len(pulled.fresh) + len(pulled.deletions.deleted)


async def report_failure(
    ctx: SyncContext,
    company_id: CompanyId,
    state: CompanySyncState,
    reason: str,
    trigger: Trigger | None = None,
) -> None:
    """Publish a failed sync (the row keeps its last good figures); repeats only at the heartbeat,
    unless someone asked for this sync (they wait for its outcome)."""
    now = ctx.now()
    if trigger is None and reason == state.last_error and not _heartbeat_due(state, now, ctx.heartbeat):
        return
    log.warning("company_sync_failed", company_id=company_id, reason=reason)
    batch = ctx.outbox.batch(company_id)
    batch.add(COMPANY_SYNC_STATUS, failed_event(company_id, now, reason, trigger))
    await batch.publish()
    await ctx.store.save(company_id, replace(state, last_error=reason, last_announced_ok=now))


def _grant_event(company_id: CompanyId, accountant: str) -> Callable[[int], AccessGranted]:
    return lambda seq: AccessGranted(company_id=company_id, seq=seq, accountant_id=accountant_id(accountant))


def _revoke_event(company_id: CompanyId, accountant: AccountantId) -> Callable[[int], AccessRevoked]:
    return lambda seq: AccessRevoked(company_id=company_id, seq=seq, accountant_id=accountant)


def _advance(
    pulled: PulledChanges,
    profile_digest: str,
    grants: set[AccountantId],
    announced_ok: datetime | None,
    snapshots: dict[str, str],
) -> CompanySyncState:
    return CompanySyncState(
        watermarks=pulled.watermarks,
        ledger_mark=pulled.ledger_mark,
        profile_fingerprint=profile_digest,
        announced_grants=frozenset(grants),
        last_announced_ok=announced_ok,
        last_error=None,
        known_ids=pulled.deletions.known_ids,
        last_full_pass=pulled.deletions.last_full_pass,
        snapshot_fingerprints=snapshots,
    )


def _discovered_event(company_id: CompanyId, profile: CompanyProfile) -> Callable[[int], CompanyDiscovered]:
    return lambda seq: CompanyDiscovered(company_id=company_id, seq=seq, company=profile)


def _succeeded_event(
    company_id: CompanyId, now: datetime, trigger: Trigger | None
) -> Callable[[int], CompanySyncSucceeded]:
    return lambda seq: CompanySyncSucceeded(company_id=company_id, seq=seq, synced_at=now, **_caused(trigger))


def failed_event(
    company_id: CompanyId, now: datetime, reason: str, trigger: Trigger | None = None
) -> Callable[[int], CompanySyncFailed]:
    """A failed-sync status event, echoing the trigger's correlation id when someone asked."""
    return lambda seq: CompanySyncFailed(
        company_id=company_id, seq=seq, failed_at=now, reason=reason, **_caused(trigger)
    )


def _caused(trigger: Trigger | None) -> dict[str, str | None]:
    if trigger is None:
        return {}
    return {"correlation_id": trigger.correlation_id, "causation_id": trigger.causation_id}


def _heartbeat_due(state: CompanySyncState, now: datetime, heartbeat: timedelta) -> bool:
    return state.last_announced_ok is None or now - state.last_announced_ok >= heartbeat


def _profile(connection: ClientConnection, company: RemoteCompany) -> CompanyProfile:
    return CompanyProfile(
        client_id=connection.client_id,
        client_name=connection.client_name,
        company_name=company.name,
        time_zone=connection.company_time_zones.get(company.id, connection.time_zone),
        web_url=company.web_url,
    )


def failure_reason(error: Exception) -> str:
    """What the row shows for a failed sync: the client system's answer, at most 500 characters."""
    if isinstance(error, httpx.HTTPError):
        return f"the client's system did not answer ({type(error).__name__}); will retry"
    return str(error)[:500]
