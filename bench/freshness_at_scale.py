"""Freshness at scale: many companies (see TENANTS), the simulator's mutator posting changes, and
for each change the time from its moment in the client's books to the changed figures in the API.

Everything runs as processes (real Kafka, the MongoDB-wire server, the BC simulator, four services).
Sync learns of changes as in production: BC webhooks (the simulator notifies after
NOTIFICATION_DELAY_SECONDS), with its poll as the fallback (every SYNC_POLL_SECONDS).

For each change the clock starts at the entity's `lastModifiedDateTime` in the bench's own webhook
notice (bench/change_feed.py) and stops when `GET /api/v1/companies/{id}` (the row and its details)
first answers with figures that differ from those before the change. Which sync pass delivered the
change (webhook, poll or refresh) is read from the `company.sync-status` events' correlation ids, and
where the time went, stage by stage, from the topics and the aggregator's commits
(bench/freshness_stages.py); the services' own metrics over the mutating window say how busy sync and
the aggregator were. The mutator starts only once every company has synced, every subscription
exists and the aggregator has applied everything (lag 0).
Baseline, same run, same broker: a raw Kafka round trip (produce with acks=all -> consume).

Size: BENCH_SCALE_COMPANIES (1,000; 10 a client tenant), e.g. 200 for a quicker run.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.change_feed import WATCHED_SETS, BooksChange, receiver, subscribe_all
from bench.freshness import kafka_round_trips
from bench.freshness_stages import AggregatorCommits, KafkaTrail, StageTimes
from bench.hub_api import caught_up, settled, signed_in
from bench.progress import Progress
from bench.results import Baseline, Target, percentile, record
from bench.service_metrics import busy, service_counters
from bench.where_time_goes import read, spent
from deploy.local.stack import Stack, StackOptions, start_stack

# 1,000 companies as 100 client tenants x 10 (sync reads their connections from a file: in one
# environment variable they were over Linux's 128 KiB limit).
COMPANIES_PER_TENANT = int(os.environ.get("BENCH_SCALE_COMPANIES_PER_TENANT", "10"))
TENANTS = int(
    os.environ.get(
        "BENCH_SCALE_TENANTS",
        str(int(os.environ.get("BENCH_SCALE_COMPANIES", "1000")) // COMPANIES_PER_TENANT),
    )
)
CHANGES = int(os.environ.get("BENCH_SCALE_CHANGES", "1100"))
CHANGES_PER_SECOND = float(os.environ.get("BENCH_SCALE_CHANGES_PER_SECOND", "5"))
NOTIFICATION_DELAY_SECONDS = 0.2
SYNC_POLL_SECONDS = 300.0
# A pending change's company is read again after 0.1 s plus a tenth of the change's age, at most 1 s
# apart: the clock's resolution stays within ~10% + 0.1 s of what it measures, and a lagging system is
# not also flooded by the bench's reads (at a fixed 0.1 s they competed with the aggregator for
# SecantusDB and the bench's own event loop, which then took seconds to accept the simulator's notices).
DETAILS_POLL_SECONDS = 0.1
DETAILS_POLL_AGE_FRACTION = 0.1
DETAILS_POLL_MAX_SECONDS = 1.0
API_CONCURRENCY = 8  # the bench's own reads stay bounded however many changes are pending
# Not the event stream (/api/v1/stream): tried at 10f377d, reading a company when the stream
# named its row made as many reads (about one a change, the gate above is the limit either way), and
# the change stream behind it costs SecantusDB about 0.8 ms of CPU per row written, twice the write.
VISIBLE_WITHIN_SECONDS = 30.0
SETTLE_WITHIN_SECONDS = float(os.environ.get("BENCH_SCALE_SETTLE_SECONDS", "3000"))
SAME_CHANGE_SECONDS = 0.05  # notices of one mutator step (an invoice and its quote) share a moment
VOLATILE = ("last_synced_at", "last_sync_error", "as_of")


@dataclass
class PendingChange:
    """One change in the books, waiting to show through the API."""

    company_id: str
    at: datetime
    entity_sets: set[str] = field(default_factory=set)
    noticed_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Outcome:
    """What became of the changes."""

    latencies_ms: list[float] = field(default_factory=list)
    resolved: list[tuple[PendingChange, datetime]] = field(default_factory=list)
    not_visible: list[PendingChange] = field(default_factory=list)
    no_figure_moved: int = 0
    together: int = 0
    request_errors: int = 0
    api_reads: int = 0


def poll_gap(age: timedelta) -> float:
    """Seconds until a pending change's company is read again."""
    gap = DETAILS_POLL_SECONDS + DETAILS_POLL_AGE_FRACTION * age.total_seconds()
    return min(max(gap, DETAILS_POLL_SECONDS), DETAILS_POLL_MAX_SECONDS)


def figures(details: dict[str, Any]) -> str:
    """What the accountant sees of a company, without the sync's own timestamps and status."""
    row = {k: v for k, v in details["row"].items() if k not in VOLATILE}
    return json.dumps({**details, "row": row}, sort_keys=True)


def synced_at(details: dict[str, Any]) -> datetime | None:
    """The row's last successful sync."""
    stamp = details["row"]["last_synced_at"]
    return datetime.fromisoformat(stamp) if stamp else None


class Follower:
    """Follows each changed company through the API until its figures move."""

    def __init__(self, api: httpx.AsyncClient, seen: dict[str, str]) -> None:
        self._api, self._seen = api, seen
        self._pending: dict[str, list[PendingChange]] = defaultdict(list)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._gate = asyncio.Semaphore(API_CONCURRENCY)
        self.outcome = Outcome()
        self.noticed = 0

    def on_change(self, change: BooksChange) -> None:
        """A notice from the books: a new change, or another entity of one already pending."""
        pending = self._pending[change.company_id]
        same = next(
            (p for p in pending if abs((p.at - change.at).total_seconds()) <= SAME_CHANGE_SECONDS), None
        )
        if same is not None:
            same.entity_sets.add(change.entity_set)
            return
        pending.append(PendingChange(change.company_id, change.at, {change.entity_set}))
        self.noticed += 1
        if change.company_id not in self._tasks:
            self._tasks[change.company_id] = asyncio.create_task(self._follow(change.company_id))

    async def drain(self) -> None:
        """Wait until every noticed change is resolved or given up on."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()))

    async def _follow(self, company_id: str) -> None:
        pending = self._pending[company_id]
        try:
            while pending:
                try:
                    details = await self._details(company_id)
                except httpx.HTTPError:  # a refused or dropped request: ask again, the clock runs on
                    self.outcome.request_errors += 1
                    await asyncio.sleep(DETAILS_POLL_SECONDS)
                    continue
                now = datetime.now(UTC)
                shown = figures(details)
                if shown != self._seen[company_id]:
                    self._seen[company_id] = shown
                    self._resolve(pending, now, synced_at(details))
                elif now - pending[0].at > timedelta(seconds=VISIBLE_WITHIN_SECONDS):
                    self._give_up(pending.pop(0), synced_at(details))
                await asyncio.sleep(poll_gap(now - pending[0].at if pending else timedelta()))
        finally:
            del self._tasks[company_id]

    async def _details(self, company_id: str) -> dict[str, Any]:
        async with self._gate:
            self.outcome.api_reads += 1
            response = await self._api.get(f"/api/v1/companies/{company_id}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def _resolve(self, pending: list[PendingChange], now: datetime, synced: datetime | None) -> None:
        """The figures moved: the oldest change shows, and so does any other the same sync pass read
        (a sync stamps the row after reading, so a later stamp covers it)."""
        shown = [pending.pop(0)]
        while pending and synced is not None and pending[0].at < synced:
            shown.append(pending.pop(0))
        self.outcome.together += len(shown) - 1
        for change in shown:
            self.outcome.latencies_ms.append((now - change.at).total_seconds() * 1000)
            self.outcome.resolved.append((change, now))

    def _give_up(self, change: PendingChange, synced: datetime | None) -> None:
        """No figure moved within VISIBLE_WITHIN_SECONDS: either a sync read the change and nothing the
        API shows depends on it, or it never arrived (counted as not visible, at the full wait)."""
        if synced is not None and synced > change.at:
            self.outcome.no_figure_moved += 1
        else:
            self.outcome.not_visible.append(change)
            self.outcome.latencies_ms.append(VISIBLE_WITHIN_SECONDS * 1000)


async def snapshot(api: httpx.AsyncClient, company_ids: list[str]) -> dict[str, str]:
    """Every company's figures as the API shows them now."""
    gate = asyncio.Semaphore(8)

    async def one(company_id: str) -> tuple[str, str]:
        async with gate:
            response = await api.get(f"/api/v1/companies/{company_id}")
            response.raise_for_status()
            return company_id, figures(response.json())

    return dict(await asyncio.gather(*(one(c) for c in company_ids)))


async def measure(stack: Stack) -> dict[str, Any]:
    """Settle, subscribe, snapshot, run the mutator until CHANGES changes are noticed, drain."""
    companies = TENANTS * COMPANIES_PER_TENANT
    bootstrap = stack.kafka.bootstrap_servers
    api = await signed_in(stack)
    sim = httpx.AsyncClient(base_url=f"{stack.simulator_url}/_simulator", timeout=60)
    trail, commits = KafkaTrail(bootstrap), AggregatorCommits(bootstrap)
    try:
        settle_seconds = await settled(api, sim, companies, SETTLE_WITHIN_SECONDS)
        catch_up_seconds = await caught_up(bootstrap, SETTLE_WITHIN_SECONDS)
        books = (await sim.get("/companies")).json()
        seen = await snapshot(api, [c["companyId"].lower() for c in books])
        follower = Follower(api, seen)
        await trail.start()
        await commits.start()
        async with receiver(follower.on_change) as url:
            await subscribe_all(books, url)
            await caught_up(bootstrap, SETTLE_WITHIN_SECONDS)  # quiet before the first change
            (await sim.post("/stats/reset")).raise_for_status()
            counters_before = await service_counters(stack)
            reading_before = await read(stack)
            load_before = os.getloadavg()
            started = time.monotonic()
            await sim.post("/mutator/start", json={"changes_per_second": CHANGES_PER_SECOND})
            progress = Progress("changes in the books, noticed", total=CHANGES)
            while follower.noticed < CHANGES:
                progress.update(follower.noticed, f"{len(follower.outcome.latencies_ms):,} shown in the API")
                await asyncio.sleep(0.2)
            progress.finish(follower.noticed, f"{len(follower.outcome.latencies_ms):,} shown in the API")
            mutator = (await sim.post("/mutator/stop")).json()
            mutating_seconds = time.monotonic() - started
            await follower.drain()
            load_after = os.getloadavg()
            drained_seconds = time.monotonic() - started
            counters_after = await service_counters(stack)
            reading_after = await read(stack)
            stats = (await sim.get("/stats")).json()
        await asyncio.sleep(1)  # the last commits
        stages, paths = StageTimes.empty(), Counter[str]()
        for change, shown in follower.outcome.resolved:
            sync = trail.log.pass_of(change.company_id, change.at, shown)
            paths[sync.trigger if sync else "unknown"] += 1
            committed = commits.log.applied_at_all(sync.events) if sync else None
            stages.add(change.at, change.noticed_at, sync, committed, shown)
        return {
            "outcome": follower.outcome,
            "noticed": follower.noticed,
            "paths": dict(paths),
            "stage_breakdown": stages.summary()
            | {"aggregator_commit_polls": commits.polls, "commit_poll_errors": commits.poll_errors},
            "services_while_measuring": busy(counters_before, counters_after, drained_seconds),
            "where_time_went": spent(reading_before, reading_after, drained_seconds),
            "settle_seconds": round(settle_seconds, 1),
            "aggregator_catch_up_seconds": round(catch_up_seconds, 1),
            "mutating_seconds": round(mutating_seconds, 1),
            "mutator_changes_made": mutator["changesMade"],
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after],
            "simulator_stats": {
                k: stats[k] for k in ("requestsServed", "requestsThrottled", "maxConcurrencyObserved")
            }
            | {"webhook_posts": stats["webhooks"]["postsDelivered"]},
        }
    finally:
        await commits.stop()
        await trail.stop()
        await api.aclose()
        await sim.aclose()


def options() -> StackOptions:
    """TENANTS x COMPANIES_PER_TENANT companies; sync polls rarely and takes the simulator's webhooks,
    sent soon after a change."""
    return StackOptions(
        tenants=TENANTS,
        companies_per_tenant=COMPANIES_PER_TENANT,
        partitions=6,
        poll_interval_seconds=SYNC_POLL_SECONDS,
        simulator_env={"BC_SIM_NOTIFICATION_DELAY_SECONDS": str(NOTIFICATION_DELAY_SECONDS)},
        # As an operator at this scale would: 1,000 companies polled whole every 300 s is 10 requests
        # a company, most of them for feeds the webhooks already cover.
        service_env={"SYNC_TRUST_WEBHOOKS": "true"},
    )


def run_on(stack: Stack) -> tuple[dict[str, Any], list[float]]:
    """The measurement and its Kafka baseline on a running stack."""
    run = asyncio.run(measure(stack))
    return run, asyncio.run(kafka_round_trips(stack.kafka.bootstrap_servers, 300))


def command(name: str) -> str:
    """The command that reproduces this run, with its size."""
    return f"BENCH_SCALE_COMPANIES={TENANTS * COMPANIES_PER_TENANT} make bench NAME={name}"


def main() -> None:
    """Run the freshness-at-scale benchmark and record p50 and p99. BENCH_WORK_DIR keeps the stack's
    logs (a temporary directory otherwise)."""
    kept = os.environ.get("BENCH_WORK_DIR")
    with tempfile.TemporaryDirectory(prefix="bench-freshness-scale-") as temporary:
        stack = start_stack(Path(kept or temporary), options())
        try:
            run, baseline = run_on(stack)
        finally:
            stack.stop()
    save(run, baseline, command("freshness_at_scale"))


def save(run: dict[str, Any], baseline: list[float], command: str) -> None:
    """Record p50 and p99 (freshness-<companies>-companies, freshness-<companies>-companies-p99)."""
    outcome: Outcome = run.pop("outcome")
    samples = outcome.latencies_ms
    p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
    base_p50, base_p99 = percentile(baseline, 0.5), percentile(baseline, 0.99)
    details = {
        "companies": TENANTS * COMPANIES_PER_TENANT,
        "client_tenants": TENANTS,
        "changes_measured": len(samples),
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(max(samples), 1),
        "not_visible_within_s": {"seconds": VISIBLE_WITHIN_SECONDS, "changes": len(outcome.not_visible)},
        "changes_no_figure_moved": outcome.no_figure_moved,
        "changes_shown_by_one_figure_move": outcome.together,
        "api_request_errors": outcome.request_errors,
        "api_concurrency": API_CONCURRENCY,
        "delivered_by": run.pop("paths"),
        "mutator_changes_per_second": CHANGES_PER_SECOND,
        "simulator_notification_delay_s": NOTIFICATION_DELAY_SECONDS,
        "sync_poll_interval_s": SYNC_POLL_SECONDS,
        "sync_env": options().service_env,
        "api_poll_interval_s": {
            "first": DETAILS_POLL_SECONDS,
            "plus_fraction_of_age": DETAILS_POLL_AGE_FRACTION,
            "at_most": DETAILS_POLL_MAX_SECONDS,
        },
        "api_reads": outcome.api_reads,
        "watched_entity_sets": list(WATCHED_SETS),
        "baseline_p99_ms": round(base_p99, 1),
        **run,
        "clock": "from the entity's lastModifiedDateTime (simulator clock, ms) to the first API answer "
        "with moved figures (GET /api/v1/companies/{id}, polled)",
    }
    base_name = "raw Kafka round trip (acks=all produce -> consume), same broker"
    companies = TENANTS * COMPANIES_PER_TENANT
    for quantile, suffix, value, base, bound in (
        ("p50", "", p50, base_p50, 1000.0),
        ("p99", "-p99", p99, base_p99, 3000.0),
    ):
        name = f"freshness-{companies}-companies{suffix}"
        result = record(
            name=name,
            figure=f"{quantile} ms from a change in the client's books to the changed figures in the API",
            value=value,
            unit="ms",
            baseline=Baseline(name=f"{base_name}, {quantile}", value=round(base, 2)),
            target=Target(value_at_most=bound),
            details=details,
            command=command,
        )
        print(result.model_dump_json(indent=2))
