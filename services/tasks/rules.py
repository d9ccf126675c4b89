"""The task rules: what each command or client-side report does to a task. Pure; no I/O.

Each rule returns the task after the change and the kind of event that announces it, or None
when nothing changed (so a repeated command or report publishes nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from shared.records import ClientUserTask, TaskPriority, UserTask

EventKind = Literal["created", "assigned", "rescheduled", "completed", "reopened"]
_TASK_NAMESPACE = uuid.UUID("6f0f6c56-3f5e-4e8e-9a55-2d9f8a3c1b70")


class TaskRuleError(ValueError):
    """A command that cannot apply to the task as it is; `field` names what to change."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Change:
    """A task after a command, the event kind announcing it, and whether to write back."""

    task: UserTask
    kind: EventKind
    write_back: bool = False


def client_task_id(company_id: str, remote_id: str) -> str:
    """The hub's id of a client-system task: the same for every report, so merges never duplicate."""
    return str(uuid.uuid5(_TASK_NAMESPACE, f"{company_id}/{remote_id}"))


def reassign(task: UserTask, assignee: str) -> Change | None:
    """Give the task to someone else."""
    if assignee == task.assignee:
        return None
    return Change(task.model_copy(update={"assignee": assignee}), "assigned")


def reschedule(task: UserTask, due_date: date | None, priority: TaskPriority) -> Change | None:
    """A new due date and/or priority."""
    if (due_date, priority) == (task.due_date, task.priority):
        return None
    return Change(task.model_copy(update={"due_date": due_date, "priority": priority}), "rescheduled")


def complete(task: UserTask) -> Change | None:
    """Done; a client-system task is also completed in the client's system (write-back)."""
    if task.status == "done":
        return None
    done = task.model_copy(update={"status": "done", "percent_complete": 100, "write_back_error": None})
    return Change(done, "completed", write_back=task.source == "client_system")


def reopen(task: UserTask) -> Change | None:
    """Open again; a client-system task can only be reopened in the client's system."""
    if task.status != "done":
        return None
    if task.source == "client_system":
        raise TaskRuleError("task_id", "this task lives in the client's system: reopen it there")
    return Change(task.model_copy(update={"status": "open", "percent_complete": 0}), "reopened")


def write_back_failed(task: UserTask, error: str) -> Change:
    """The client's system refused the completion: the task is open again, with the reason on it."""
    reopened = task.model_copy(update={"status": "open", "write_back_error": error})
    return Change(reopened, "reopened")


def from_client(company_id: str, remote: ClientUserTask) -> UserTask:
    """A client-system task as the hub keeps it."""
    return UserTask(
        id=client_task_id(company_id, remote.remote_id),
        company_id=company_id,
        title=remote.title or "(untitled)",
        description=remote.description,
        assignee=remote.assignee,
        created_by=remote.created_by,
        created_at=remote.created_at,
        start_date=remote.start_date,
        due_date=remote.due_date,
        priority=remote.priority,
        status="in_progress" if remote.percent_complete > 0 else "open",
        percent_complete=remote.percent_complete,
        link=remote.link,
        source="client_system",
        remote_id=remote.remote_id,
    )


def merge_reported(stored: UserTask | None, reported: UserTask, write_back_pending: bool) -> Change | None:
    """A pending task as the client's system lists it, merged into what the hub has."""
    if stored is None:
        return Change(reported, "created")
    if stored.status == "done" and write_back_pending:
        return None  # the list predates our completion; the write-back result decides
    merged = reported.model_copy(update={"write_back_error": stored.write_back_error})
    if merged == stored:
        return None
    if stored.status == "done":
        return Change(merged, "reopened")
    if merged.assignee != stored.assignee:
        return Change(merged, "assigned")
    return Change(merged, "rescheduled")


def missing_from_report(stored: Sequence[UserTask], reported_ids: set[str]) -> list[Change]:
    """Client-system tasks no longer listed as pending were completed there."""
    return [
        Change(task.model_copy(update={"status": "done", "percent_complete": 100}), "completed")
        for task in stored
        if task.source == "client_system" and task.status != "done" and task.id not in reported_ids
    ]
