"""In-memory twins of the storage ports; the contract suite keeps them honest against MongoDB."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.aggregator.changes import BatchChanges
from services.aggregator.projections import CompanyFigures, CompanyState, FigureDate
from services.aggregator.records import company_records, is_relevant, record_payload
from services.aggregator.repository import task_view
from services.aggregator.tasks import my_task_document, my_task_id
from shared.events import AccessGranted, CompanySyncFailed
from shared.ids import AccountantId, CompanyId
from shared.records import UserTask


class InMemoryProjectionStore:
    """ProjectionStore in dicts, with the same per-record seq guards as MongoDB's."""

    def __init__(self) -> None:
        self.records: dict[tuple[CompanyId, str, str], tuple[int, tuple[bool, dict[str, Any]]]] = {}
        self.profiles: dict[CompanyId, tuple[int, dict[str, Any]]] = {}
        self.statuses: dict[CompanyId, tuple[int, str | None]] = {}
        self.last_success: dict[CompanyId, datetime] = {}
        self.grants: dict[tuple[CompanyId, AccountantId], tuple[int, bool]] = {}
        self.figures: dict[CompanyId, CompanyFigures] = {}
        self.rows: dict[tuple[AccountantId, CompanyId], CompanyFigures] = {}
        self.tasks: dict[str, tuple[int, UserTask]] = {}
        self.my_tasks: dict[str, dict[str, Any]] = {}

    async def save_changes(self, changes: BatchChanges) -> None:
        """Apply the newest change per record, ignoring any older than what is stored."""
        for key, event in changes.records.items():
            stored = (is_relevant(event), record_payload(event).model_dump())
            _guarded(self.records, key, event.seq, stored)
        for company, discovered in changes.profiles.items():
            _guarded(self.profiles, company, discovered.seq, discovered.company.model_dump())
        for company, status in changes.latest_status.items():
            error = status.reason if isinstance(status, CompanySyncFailed) else None
            _guarded(self.statuses, company, status.seq, error)
        for company, at in changes.last_success.items():
            self.last_success[company] = max(at, self.last_success.get(company, at))
        for task_id, task_event in changes.tasks.items():
            _guarded(self.tasks, task_id, task_event.version, task_event.task)
        for (company, who), grant in changes.grants.items():
            _guarded(
                self.grants,
                (company, AccountantId(who)),
                grant.seq,
                isinstance(grant, AccessGranted),
            )

    async def load_states(
        self,
        company_ids: Sequence[CompanyId],
        *,
        owned: bool = True,  # noqa: ARG002
    ) -> list[CompanyState]:
        """The stored state of each company (always read fresh: nothing is kept between batches)."""
        return [self._state(company) for company in company_ids]

    def forget_cached_state(self) -> None:
        """Nothing is kept between batches here."""

    def _state(self, company: CompanyId) -> CompanyState:
        profile = self.profiles.get(company, (0, {}))[1]
        records = [
            (kind, data)
            for (c, kind, _), (_, (relevant, data)) in self.records.items()
            if c == company and relevant
        ]
        return CompanyState(
            company_id=company,
            client_name=profile.get("client_name"),
            company_name=profile.get("company_name"),
            time_zone=profile.get("time_zone", "UTC"),
            web_url=profile.get("web_url"),
            last_synced_at=self.last_success.get(company),
            last_sync_error=self.statuses.get(company, (0, None))[1],
            records=company_records(records),
            granted_to=frozenset(who for (c, who), (_, ok) in self.grants.items() if c == company and ok),
            revoked_from=frozenset(
                who for (c, who), (_, ok) in self.grants.items() if c == company and not ok
            ),
            tasks=tuple(t for _, t in self.tasks.values() if t.company_id == company and t.status != "done"),
        )

    async def save_figures(self, figures: Sequence[CompanyFigures]) -> None:
        """Store figures and fan them out to the rows of granted accountants."""
        for f in figures:
            self.figures[f.company_id] = f
            for key in [k for k in self.rows if k[1] == f.company_id and k[0] not in f.granted_to]:
                del self.rows[key]
            for who in f.granted_to:
                self.rows[(who, f.company_id)] = f
            for entry in [k for k, d in self.my_tasks.items() if d["company_id"] == f.company_id]:
                del self.my_tasks[entry]
            view = task_view(f)
            for task in f.tasks:
                if task.status != "done" and AccountantId(task.assignee) in f.granted_to:
                    self.my_tasks[my_task_id(AccountantId(task.assignee), task.id)] = my_task_document(
                        view, task
                    )

    async def figure_dates(self) -> list[FigureDate]:
        """Each company's figures date and zone."""
        return [FigureDate(c, f.time_zone, f.as_of.isoformat()) for c, f in self.figures.items()]

    def row(self, who: AccountantId, company: CompanyId) -> CompanyFigures | None:
        """The row `who` sees for `company`, if any."""
        return self.rows.get((who, company))


def _guarded(index: dict[Any, tuple[int, Any]], key: Any, seq: int, value: Any) -> None:
    current = index.get(key)
    if current is None or current[0] < seq:
        index[key] = (seq, value)
