"""The periodic full pass: BC has no delete marker to poll, so a record that is gone shows only as an
id missing from a full list of the feed.

Sync remembers, per company and feed, the ids it published and not deleted since. A pull that read
a feed from the start (its first) knows them all already; every `full_pass` interval each feed is
listed whole (ids only: one cheap request a feed), and each remembered id the list lacks becomes a
RecordDeleted event. A feed a change notice said a record was deleted from is listed by that
notice's pass.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.sync.connectors.base import FEEDS, Connector, Feed, RemoteCompany
from services.sync.publishing import EventFactory
from shared.events import RecordDeleted, RecordKind
from shared.ids import CompanyId

KIND_OF_FEED: dict[Feed, RecordKind] = {
    "salesInvoices": "sales_invoice",
    "purchaseInvoices": "purchase_invoice",
    "salesQuotes": "sales_quote",
    "salesOrders": "sales_order",
    "salesCreditMemos": "sales_credit_memo",
}


@dataclass(frozen=True)
class Deletions:
    """What a pull learnt about which records exist."""

    known_ids: dict[str, frozenset[str]] = field(default_factory=dict)
    deleted: tuple[tuple[Feed, str], ...] = ()
    last_full_pass: datetime | None = None


async def find_deletions(
    connector: Connector,
    company: RemoteCompany,
    known_before: Mapping[str, frozenset[str]],
    pulled: Mapping[Feed, tuple[set[str], bool]],
    last_full_pass: datetime | None,
    now: datetime,
    every: timedelta,
    list_now: Collection[str] = frozenset(),
) -> Deletions:
    """The ids known after this pull, and those deleted since the last full pass (when one is due) or
    from the feeds `list_now` names (a change notice said a record of theirs was deleted).

    `pulled` maps each feed to the ids this pull read and whether it read the feed from the start."""
    due = full_pass_due(last_full_pass, now, every)
    known: dict[str, frozenset[str]] = {}
    deleted: list[tuple[Feed, str]] = []
    for feed in FEEDS:
        ids, from_start = pulled.get(feed, (set(), False))
        if from_start:
            known[feed] = frozenset(ids)  # the whole feed was read: nothing else exists
        elif due or feed in list_now:
            listed = await connector.record_ids(company, feed)  # read after the pull: it has the last word
            deleted += [(feed, gone) for gone in sorted((known_before.get(feed, frozenset()) | ids) - listed)]
            known[feed] = frozenset(listed)
        else:
            known[feed] = known_before.get(feed, frozenset()) | ids
    return Deletions(known, tuple(deleted), now if due else last_full_pass)


def full_pass_due(last_full_pass: datetime | None, now: datetime, every: timedelta) -> bool:
    """Whether this pull is a full pass: never done, or the last one is `every` old."""
    return last_full_pass is None or now - last_full_pass >= every


def deleted_events(company_id: CompanyId, deletions: Deletions) -> list[EventFactory]:
    """One RecordDeleted per record gone from the client's books."""
    return [_deleted(company_id, feed, record_id) for feed, record_id in deletions.deleted]


def _deleted(company_id: CompanyId, feed: Feed, record_id: str) -> EventFactory:
    kind = KIND_OF_FEED[feed]
    return lambda seq: RecordDeleted(company_id=company_id, seq=seq, kind=kind, record_id=record_id)
