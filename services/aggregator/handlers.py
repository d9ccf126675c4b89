"""The aggregator's use cases. No Kafka or MongoDB imports: storage is behind ProjectionStore."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from services.aggregator.changes import coalesce
from services.aggregator.projections import day_has_turned, derive_figures
from services.aggregator.repository import ProjectionStore
from shared.events import HubEvent
from shared.ids import CompanyId

Clock = Callable[[], datetime]


async def apply_events(events: Sequence[HubEvent], store: ProjectionStore, now: Clock) -> None:
    """Apply a batch: store the newest state per record, then re-derive the touched companies."""
    changes = coalesce(events)
    if not changes.companies:
        return
    await store.save_changes(changes)
    await rederive(sorted(changes.companies), store, now)


async def rederive(
    company_ids: Sequence[CompanyId], store: ProjectionStore, now: Clock, *, owned: bool = True
) -> None:
    """Recompute figures and dashboard rows of companies from their stored state."""
    states = await store.load_states(company_ids, owned=owned)
    moment = now()
    await store.save_figures([derive_figures(state, moment) for state in states])


async def rederive_where_day_turned(store: ProjectionStore, now: Clock) -> int:
    """Re-derive companies whose local date moved past their figures' date; returns how many."""
    moment = now()
    turned = [f.company_id for f in await store.figure_dates() if day_has_turned(f, moment)]
    if turned:
        await rederive(turned, store, now, owned=False)  # every instance passes over every company
    return len(turned)
