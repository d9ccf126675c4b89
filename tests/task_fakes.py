"""An in-memory TaskStore and a recording event sink for fast tests of the tasks service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from services.tasks.repository import StoredTask
from shared.commands import CommandBase
from shared.events import AccessGranted, AccessRevoked, EventBase
from shared.ids import AccountantId, CompanyId


class InMemoryTaskStore:
    """TaskStore in dicts, with the same version check as MongoDB's."""

    def __init__(self) -> None:
        self.tasks: dict[str, StoredTask] = {}
        self.seqs: dict[CompanyId, int] = {}
        self.grants: dict[tuple[AccountantId, CompanyId], tuple[int, bool]] = {}
        self.reports: dict[CompanyId, int] = {}

    async def reserve_seqs(self, company_id: CompanyId, count: int) -> range:
        last = self.seqs.get(company_id, 0) + count
        self.seqs[company_id] = last
        return range(last - count + 1, last + 1)

    async def get(self, task_id: str) -> StoredTask | None:
        return self.tasks.get(task_id)

    async def client_tasks(self, company_id: CompanyId) -> list[StoredTask]:
        return [
            s
            for s in self.tasks.values()
            if s.task.company_id == company_id and s.task.source == "client_system"
        ]

    async def save(self, stored: StoredTask, expected_version: int) -> bool:
        current = self.tasks.get(stored.task.id)
        if (current.version if current else 0) != expected_version:
            return False
        self.tasks[stored.task.id] = stored
        return True

    async def with_outbox(self) -> list[StoredTask]:
        return [s for s in self.tasks.values() if s.outbox]

    async def clear_outbox(self, task_id: str, event_ids: list[str]) -> None:
        stored = self.tasks[task_id]
        kept = tuple(e for e in stored.outbox if e.event_id not in event_ids)
        self.tasks[task_id] = replace(stored, outbox=kept)

    async def is_granted(self, accountant: AccountantId, company_id: CompanyId) -> bool:
        return self.grants.get((accountant, company_id), (0, False))[1]

    async def save_grant(self, event: AccessGranted | AccessRevoked) -> None:
        key = (event.accountant_id, event.company_id)
        if self.grants.get(key, (0, False))[0] < event.seq:
            self.grants[key] = (event.seq, isinstance(event, AccessGranted))

    async def report_seq(self, company_id: CompanyId) -> int:
        return self.reports.get(company_id, 0)

    async def mark_report(self, company_id: CompanyId, seq: int) -> None:
        self.reports[company_id] = max(seq, self.reports.get(company_id, 0))


class RecordingSink:
    """Keeps what was published per topic; `fail` makes the next publish raise (a broker outage)."""

    def __init__(self) -> None:
        self.published: list[tuple[str, EventBase]] = []
        self.commands: list[tuple[str, CommandBase]] = []
        self.fail = False

    async def publish(self, topic: str, events: Sequence[EventBase]) -> None:
        if self.fail:
            raise ConnectionError("broker unreachable")
        self.published += [(topic, e) for e in events]

    async def send(self, topic: str, commands: Sequence[CommandBase]) -> None:
        if self.fail:
            raise ConnectionError("broker unreachable")
        self.commands += [(topic, c) for c in commands]
