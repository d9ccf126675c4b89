"""The tasks service's use cases: commands from the gateway, reports from sync, the outbox.

No FastAPI, Kafka or MongoDB imports: storage is behind TaskStore, publishing behind EventSink.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

import structlog

from services.tasks import rules
from services.tasks.repository import OutboxEntry, StoredTask, TaskStore
from services.tasks.rules import Change, TaskRuleError
from shared.commands import CommandBase, CompleteUserTaskRequested
from shared.events import (
    ClientUserTasksReported,
    ClientUserTaskWriteBack,
    EventBase,
    TaskAssigned,
    TaskCompleted,
    TaskCreated,
    TaskReopened,
    TaskRescheduled,
    decode_event,
    encode_event,
)
from shared.ids import AccountantId, CompanyId
from shared.records import TaskPriority, UserTask
from shared.topics import SYNC_COMMANDS, TASKS_EVENTS

log = structlog.get_logger()
Clock = Callable[[], datetime]
_EVENTS = {
    "created": TaskCreated,
    "assigned": TaskAssigned,
    "rescheduled": TaskRescheduled,
    "completed": TaskCompleted,
    "reopened": TaskReopened,
}
_RETRIES = 5


class NotFoundError(LookupError):
    """No such task or company among the caller's (the two are indistinguishable on purpose)."""


class ConflictError(RuntimeError):
    """The task kept changing under the command; the caller may try again."""


class EventSink(Protocol):
    """Publishes events (shared.kafka.EventPublisher, or a fake in unit tests)."""

    async def publish(self, topic: str, events: Sequence[EventBase]) -> None:
        """Send and wait for acknowledgement."""
        ...


class CommandSink(Protocol):
    """Sends commands (shared.commands.CommandPublisher, or a fake in unit tests)."""

    async def send(self, topic: str, commands: Sequence[CommandBase]) -> None:
        """Send and wait for acknowledgement."""
        ...


@dataclass(frozen=True)
class NewTask:
    """What the gateway sends to create a task."""

    title: str
    assignee: str
    description: str = ""
    due_date: date | None = None
    priority: TaskPriority = "normal"


@dataclass(frozen=True)
class TaskPatch:
    """Fields to change; None leaves a field as it is (`clear_due_date` removes the due date)."""

    assignee: str | None = None
    due_date: date | None = None
    clear_due_date: bool = False
    priority: TaskPriority | None = None


@dataclass(frozen=True)
class TaskService:
    """Every task use case over one store and one event sink."""

    store: TaskStore
    sink: EventSink
    commands: CommandSink
    now: Clock

    async def create(self, caller: AccountantId, company_id: CompanyId, new: NewTask) -> UserTask:
        """Create a task in a company the caller was granted, for an accountant granted it too."""
        await self._check_granted(caller, company_id)
        await self._check_assignee(company_id, new.assignee)
        task = UserTask(
            id=str(uuid.uuid4()),
            company_id=company_id,
            title=new.title,
            description=new.description,
            assignee=new.assignee,
            created_by=caller,
            created_at=self.now(),
            start_date=None,
            due_date=new.due_date,
            priority=new.priority,
        )
        await self._commit(None, Change(task, "created"))
        return task

    async def update(self, caller: AccountantId, task_id: str, patch: TaskPatch) -> UserTask:
        """Reassign, reschedule or reprioritise."""

        async def rule(task: UserTask) -> list[Change]:
            if task.source == "client_system":
                field = (
                    "assignee" if patch.assignee is not None else "due_date" if patch.due_date else "priority"
                )
                raise TaskRuleError(field, "this task lives in the client's system: change it there")
            changes: list[Change] = []
            if patch.assignee is not None:
                await self._check_assignee(CompanyId(task.company_id), patch.assignee)
                changes += _some(rules.reassign(task, patch.assignee))
                task = changes[-1].task if changes else task
            due = None if patch.clear_due_date else (patch.due_date or task.due_date)
            priority = patch.priority or task.priority
            return changes + _some(rules.reschedule(task, due, priority))

        return await self._change(caller, task_id, rule)

    async def complete(self, caller: AccountantId, task_id: str) -> UserTask:
        """Complete; a client-system task is completed there too (through sync)."""

        async def rule(task: UserTask) -> list[Change]:
            return _some(rules.complete(task))

        return await self._change(caller, task_id, rule)

    async def reopen(self, caller: AccountantId, task_id: str) -> UserTask:
        """Open a completed hub task again."""

        async def rule(task: UserTask) -> list[Change]:
            return _some(rules.reopen(task))

        return await self._change(caller, task_id, rule)

    async def get(self, caller: AccountantId, task_id: str) -> UserTask:
        """A task in a company the caller was granted."""
        stored = await self.store.get(task_id)
        if stored is None:
            raise NotFoundError(task_id)
        await self._check_granted(caller, CompanyId(stored.task.company_id))
        return stored.task

    async def apply_client_report(self, report: ClientUserTasksReported) -> None:
        """Merge the client's pending tasks: new ones appear, changed ones change, missing ones are done."""
        company_id = report.company_id
        if report.seq <= await self.store.report_seq(company_id):
            return
        stored = {s.task.id: s for s in await self.store.client_tasks(company_id)}
        reported = [rules.from_client(company_id, remote) for remote in report.tasks]
        for task in reported:
            current = stored.get(task.id)
            change = rules.merge_reported(
                current.task if current else None, task, bool(current and current.write_back_pending)
            )
            if change is not None:
                await self._commit(current, change)
        gone = rules.missing_from_report([s.task for s in stored.values()], {t.id for t in reported})
        for change in gone:
            await self._commit(stored[change.task.id], change, write_back_done=True)
        await self.store.mark_report(company_id, report.seq)

    async def apply_write_back(self, result: ClientUserTaskWriteBack) -> None:
        """The outcome of completing a task in the client's system: a failure reopens it, with why."""
        stored = await self.store.get(result.task_id)
        if stored is None or not stored.write_back_pending:
            return
        if result.error is None:
            await self.store.save(replace(stored, write_back_pending=False), stored.version)
            return
        log.warning("task_write_back_failed", task_id=result.task_id, company_id=result.company_id)
        await self._commit(stored, rules.write_back_failed(stored.task, result.error), write_back_done=True)

    async def flush_outbox(self) -> int:
        """Publish every event still waiting in an outbox; returns how many were sent."""
        sent = 0
        for stored in await self.store.with_outbox():
            await self._publish(stored.task.id, stored.outbox)
            sent += len(stored.outbox)
        return sent

    async def _change(
        self, caller: AccountantId, task_id: str, rule: Callable[[UserTask], Awaitable[list[Change]]]
    ) -> UserTask:
        for _ in range(_RETRIES):
            stored = await self.store.get(task_id)
            if stored is None:
                raise NotFoundError(task_id)
            await self._check_granted(caller, CompanyId(stored.task.company_id))
            changes = await rule(stored.task)
            if not changes:
                return stored.task
            if await self._commit_all(stored, changes):
                return changes[-1].task
        raise ConflictError(task_id)

    async def _commit(self, stored: StoredTask | None, change: Change, write_back_done: bool = False) -> None:
        if not await self._commit_all(stored, [change], write_back_done):
            log.info("task_changed_concurrently_skipped", task_id=change.task.id)

    async def _commit_all(
        self, stored: StoredTask | None, changes: list[Change], write_back_done: bool = False
    ) -> bool:
        version = stored.version if stored else 0
        company_id = CompanyId(changes[-1].task.company_id)
        write_back = any(c.write_back for c in changes)
        seqs = iter(await self.store.reserve_seqs(company_id, len(changes)))
        entries: list[OutboxEntry] = []
        for offset, change in enumerate(changes, start=1):
            event = _EVENTS[change.kind](
                company_id=company_id, seq=next(seqs), version=version + offset, task=change.task
            )
            entries.append(_entry(TASKS_EVENTS, event))
        last = changes[-1].task
        if write_back and last.remote_id is not None:
            command = CompleteUserTaskRequested(
                correlation_id=last.id, company_id=company_id, task_id=last.id, remote_id=last.remote_id
            )
            entries.append(OutboxEntry(str(command.command_id), SYNC_COMMANDS, command.model_dump_json()))
        pending = write_back or (bool(stored and stored.write_back_pending) and not write_back_done)
        outbox = (stored.outbox if stored else ()) + tuple(entries)
        new = StoredTask(last, version + len(changes), pending, outbox)
        if not await self.store.save(new, version):
            return False
        await self._publish(last.id, tuple(entries))
        return True

    async def _publish(self, task_id: str, entries: Sequence[OutboxEntry]) -> None:
        events = [decode_event(e.value.encode()) for e in entries if e.topic == TASKS_EVENTS]
        commands = [
            CompleteUserTaskRequested.model_validate_json(e.value)
            for e in entries
            if e.topic == SYNC_COMMANDS
        ]
        if events:
            await self.sink.publish(TASKS_EVENTS, events)
        if commands:
            await self.commands.send(SYNC_COMMANDS, commands)
        await self.store.clear_outbox(task_id, [e.event_id for e in entries])

    async def _check_granted(self, caller: AccountantId, company_id: CompanyId) -> None:
        if not await self.store.is_granted(caller, company_id):
            raise NotFoundError(company_id)

    async def _check_assignee(self, company_id: CompanyId, assignee: str) -> None:
        if not await self.store.is_granted(AccountantId(assignee), company_id):
            raise TaskRuleError(
                "assignee", "assign the task to an accountant who was granted this company (their work email)"
            )


def _entry(topic: str, event: EventBase) -> OutboxEntry:
    return OutboxEntry(str(event.event_id), topic, encode_event(event).decode())


def _some(change: Change | None) -> list[Change]:
    return [change] if change is not None else []
