"""Posted G/L entries and the aged receivables report: what the hub's statements are computed from.

G/L entries are append-only. They are pulled by their own watermark (the newest
lastModifiedDateTime seen and the ids seen at exactly then, like every feed; BC and the simulator
both filter on it) and published in batches; the aggregator adds each by its entry number, so an
entry sent twice is counted once.
"""

from __future__ import annotations

from datetime import date

from services.sync.connectors.base import Connector, RemoteCompany
from services.sync.publishing import EventFactory
from services.sync.repository import Watermark
from shared.events import AgedReceivablesReported, LedgerEntriesPosted
from shared.ids import CompanyId
from shared.records import AgedBalance, LedgerEntry

LEDGER_FEED = "generalLedgerEntries"
ENTRIES_PER_EVENT = 500
"""About 100 kB per Kafka message: well under the broker's 1 MB default."""


async def pull_ledger_entries(
    connector: Connector, company: RemoteCompany, mark: Watermark
) -> tuple[list[LedgerEntry], Watermark]:
    """Entries posted (or modified) since the watermark, and the watermark after them."""
    found = [e async for page in connector.ledger_entries_since(company, mark.at) for e in page]
    fresh = [e for e in found if not mark.already_sent(e.id, e.last_modified_at)]
    return sorted(fresh, key=lambda e: e.entry_number), mark.advanced(found)


def ledger_events(
    company_id: CompanyId, entries: list[LedgerEntry], receivables: list[AgedBalance] | None, today: date
) -> list[EventFactory]:
    """One LedgerEntriesPosted per batch of entries, and the aged receivables report when re-read."""
    factories = [
        _posted(company_id, tuple(entries[start : start + ENTRIES_PER_EVENT]))
        for start in range(0, len(entries), ENTRIES_PER_EVENT)
    ]
    if receivables is not None:
        customers = tuple(receivables)
        factories.append(
            lambda seq: AgedReceivablesReported(
                company_id=company_id, seq=seq, as_of=today, customers=customers
            )
        )
    return factories


def _posted(company_id: CompanyId, batch: tuple[LedgerEntry, ...]) -> EventFactory:
    return lambda seq: LedgerEntriesPosted(company_id=company_id, seq=seq, entries=batch)
