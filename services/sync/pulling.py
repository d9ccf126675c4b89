"""Pulling what changed in one company's books since the last good pull. Reads only; publishes nothing.

Each feed (sales invoices, purchase invoices, quotes, orders, credit memos) keeps its own
watermark: the newest `lastModifiedDateTime` seen and the ids seen at exactly that moment
(the `ge` filter returns them again; they are not re-sent). Balances and the aged payables report
have no change marker of their own, so they are re-read when the ledger moved. Deleted records
show only in a periodic full pass (services/sync/full_pass.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.sync.connectors.base import FEEDS, ChangedRecord, Connector, Feed, RemoteCompany
from services.sync.full_pass import Deletions, find_deletions
from services.sync.ledger_feed import LEDGER_FEED, pull_ledger_entries
from services.sync.repository import CompanySyncState, Watermark
from services.sync.task_feed import USER_TASKS_FEED, pull_user_tasks
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
) -> PulledChanges:
    """Every feed since its watermark; accounts and aged payables too when the ledger or payables moved;
    every `full_pass`, the ids of every record too, to find those deleted."""
    fresh: list[ChangedRecord] = []
    marks = dict(state.watermarks)
    read: dict[Feed, tuple[set[str], bool]] = {}
    for feed in FEEDS:
        mark = marks.get(feed, Watermark())
        records = [r async for page in connector.records_changed_since(company, feed, mark.at) for r in page]
        fresh += [r for r in records if not mark.already_sent(r.id, r.last_modified_at)]
        marks[feed] = mark.advanced(records)
        read[feed] = ({r.id for r in records}, mark.at is None)
    deletions = await find_deletions(
        connector, company, state.known_ids, read, state.last_full_pass, now, full_pass
    )
    entries, marks[LEDGER_FEED] = await pull_ledger_entries(
        connector, company, marks.get(LEDGER_FEED, Watermark())
    )
    tasks, marks[USER_TASKS_FEED] = await pull_user_tasks(
        connector, company, marks.get(USER_TASKS_FEED, Watermark())
    )
    ledger_since = state.ledger_mark or now - LEDGER_LOOKBACK
    ledger_moved = await connector.ledger_changed_since(company, ledger_since)
    if not _balances_may_have_moved(state, fresh, ledger_moved):
        return PulledChanges(
            fresh, marks, ledger_since, ledger_entries=entries, user_tasks=tasks, deletions=deletions
        )
    return PulledChanges(
        fresh,
        marks,
        ledger_moved or ledger_since,
        accounts=await connector.accounts(company),
        aged_payables=await connector.aged_payables(company),
        ledger_entries=entries,
        aged_receivables=await connector.aged_receivables(company),
        user_tasks=tasks,
        deletions=deletions,
    )


def _balances_may_have_moved(
    state: CompanySyncState, fresh: Sequence[ChangedRecord], ledger_moved: datetime | None
) -> bool:
    first_pull = state.ledger_mark is None
    payables_changed = any(isinstance(r, PurchaseInvoice) for r in fresh)
    return first_pull or ledger_moved is not None or payables_changed
