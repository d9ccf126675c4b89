"""Pulling what changed in one company's books since the last good pull. Reads only; publishes nothing.

Each feed (sales invoices, purchase invoices, quotes, orders, credit memos) keeps its own
watermark: the newest `lastModifiedDateTime` seen and the ids seen at exactly that moment
(the `ge` filter returns them again; they are not re-sent). Balances and the aged reports have no
change marker of their own, so they are re-read when the ledger moved: when the G/L entries feed
brought new entries (or a purchase invoice changed). Deleted records
show only in a listing of a feed's ids: the periodic full pass, or at once when a change notice said
a record was deleted (services/sync/full_pass.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import cast

from services.sync.connectors.base import FEEDS, ChangedRecord, Connector, Feed, RemoteCompany
from services.sync.full_pass import Deletions, find_deletions, full_pass_due
from services.sync.ledger_feed import LEDGER_FEED, pull_ledger_entries
from services.sync.repository import CompanySyncState, Watermark
from services.sync.task_feed import USER_TASKS_FEED, pull_user_tasks
from shared.concurrency import together
from shared.records import AgedBalance, ClientUserTask, LedgerAccount, LedgerEntry, PurchaseInvoice

DEFAULT_FULL_PASS = timedelta(hours=1)
LEDGER_LOOKBACK = timedelta(minutes=5)
"""On a first pull, G/L entries newer than this before now count as 'the ledger moved'."""


@dataclass(frozen=True)
class PulledChanges:
    """What a pull found: new or changed records, fresh snapshots, and where to continue next time."""

    fresh: list[ChangedRecord] = field(default_factory=list)
    watermarks: dict[str, Watermark] = field(default_factory=dict)
    ledger_mark: datetime | None = None
    accounts: list[LedgerAccount] | None = None
    aged_payables: list[AgedBalance] | None = None
    ledger_entries: list[LedgerEntry] = field(default_factory=list)
    aged_receivables: list[AgedBalance] | None = None
    user_tasks: list[ClientUserTask] | None = None
    deletions: Deletions = field(default_factory=Deletions)


async def pull_changes(
    connector: Connector,
    company: RemoteCompany,
    state: CompanySyncState,
    now: datetime,
    full_pass: timedelta = DEFAULT_FULL_PASS,
    only: frozenset[str] | None = None,
    deleted_from: frozenset[str] = frozenset(),
) -> PulledChanges:
    """Every feed since its watermark; accounts and aged reports too when the ledger or payables moved;
    every `full_pass`, the ids of every record too, to find those deleted.

    After the first feed, the others are asked at the same time (the connector keeps each environment
    within its budget and its concurrency): a pass takes about three answers' time, not one per feed.

    `only` narrows the pass to the entity sets it names: those a change notification named, or a
    webhook-covered company's user tasks (services/sync/coverage.py). The feeds it does not name keep
    their watermarks for their own notification or the next full pass. A company's first pull and a
    due full pass still read everything, and so does an `only` naming nothing sync reads.

    The feeds `deleted_from` names (a notice said a record of theirs was deleted) have their ids
    listed now, as a full pass would: their deletions are announced by this pass, not an hour later."""
    marks = dict(state.watermarks)
    feeds, ask_ledger, ask_tasks = _what_to_ask(state, now, full_pass, only)
    asks: list[Callable[[], Awaitable[object]]] = [
        partial(_pull_feed, connector, company, feed, marks) for feed in feeds
    ]
    if ask_ledger:
        asks.append(partial(pull_ledger_entries, connector, company, marks.get(LEDGER_FEED, Watermark())))
    if ask_tasks:
        asks.append(partial(pull_user_tasks, connector, company, marks.get(USER_TASKS_FEED, Watermark())))
    # The first ask alone, as a probe: a client system that is down costs one request's retries, not
    # one per feed; once it answered, every other ask at the same time (a failure is told once all
    # ended, the first in order: the row names the first feed that failed).
    first = await asks[0]()
    answers = [first, *await together(*(ask() for ask in asks[1:]))]
    tasks: list[ClientUserTask] | None = None
    if ask_tasks:
        tasks, marks[USER_TASKS_FEED] = cast(tuple[list[ClientUserTask] | None, Watermark], answers.pop())
    entries: list[LedgerEntry] = []
    if ask_ledger:
        entries, marks[LEDGER_FEED] = cast(tuple[list[LedgerEntry], Watermark], answers.pop())
    fresh: list[ChangedRecord] = []
    read: dict[Feed, tuple[set[str], bool]] = {}
    for feed, (new, mark, ids) in zip(feeds, cast(list[_FeedPull], answers), strict=True):
        fresh += new
        read[feed] = (ids, marks.get(feed, Watermark()).at is None)
        marks[feed] = mark
    deletions = await find_deletions(
        connector, company, state.known_ids, read, state.last_full_pass, now, full_pass, deleted_from
    )
    ledger_since = state.ledger_mark or now - LEDGER_LOOKBACK
    ledger_moved = max((e.last_modified_at for e in entries), default=None)
    if not _balances_may_have_moved(state, fresh, ledger_moved):
        return PulledChanges(
            fresh, marks, ledger_since, ledger_entries=entries, user_tasks=tasks, deletions=deletions
        )
    accounts, aged_payables, aged_receivables = await asyncio.gather(
        connector.accounts(company), connector.aged_payables(company), connector.aged_receivables(company)
    )
    return PulledChanges(
        fresh,
        marks,
        max(ledger_moved or ledger_since, ledger_since),
        accounts=accounts,
        aged_payables=aged_payables,
        ledger_entries=entries,
        aged_receivables=aged_receivables,
        user_tasks=tasks,
        deletions=deletions,
    )


_FeedPull = tuple[list[ChangedRecord], Watermark, set[str]]


def _what_to_ask(
    state: CompanySyncState, now: datetime, full_pass: timedelta, only: frozenset[str] | None
) -> tuple[tuple[Feed, ...], bool, bool]:
    """The feeds to ask, and whether to ask the G/L entries and the user tasks."""
    if only is None or state.ledger_mark is None or full_pass_due(state.last_full_pass, now, full_pass):
        return FEEDS, True, True
    feeds = tuple(feed for feed in FEEDS if feed in only)
    ask_ledger, ask_tasks = LEDGER_FEED in only, USER_TASKS_FEED in only
    if not feeds and not ask_ledger and not ask_tasks:  # names nothing sync reads: read everything
        return FEEDS, True, True
    return feeds, ask_ledger, ask_tasks


async def _pull_feed(
    connector: Connector, company: RemoteCompany, feed: Feed, marks: dict[str, Watermark]
) -> _FeedPull:
    """A feed's records changed since its watermark and not sent yet, its next watermark, and the ids read."""
    mark = marks.get(feed, Watermark())
    records = [r async for page in connector.records_changed_since(company, feed, mark.at) for r in page]
    fresh = [r for r in records if not mark.already_sent(r.id, r.last_modified_at)]
    return fresh, mark.advanced(records), {r.id for r in records}


def _balances_may_have_moved(
    state: CompanySyncState, fresh: Sequence[ChangedRecord], ledger_moved: datetime | None
) -> bool:
    first_pull = state.ledger_mark is None
    payables_changed = any(isinstance(r, PurchaseInvoice) for r in fresh)
    return first_pull or ledger_moved is not None or payables_changed
