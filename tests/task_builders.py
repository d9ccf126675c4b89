"""Builders for user tasks and task events, with overrides."""

from __future__ import annotations

import uuid
from typing import Any

from shared.events import TaskAssigned, TaskCompleted, TaskCreated, TaskEvent, TaskReopened, TaskRescheduled
from shared.ids import CompanyId
from shared.records import UserTask
from tests.builders import NOW

KINDS: dict[str, type[TaskEvent]] = {
    "created": TaskCreated,
    "assigned": TaskAssigned,
    "rescheduled": TaskRescheduled,
    "completed": TaskCompleted,
    "reopened": TaskReopened,
}


def user_task(**overrides: Any) -> UserTask:
    """An open hub task due nowhere in particular, for the demo accountant unless overridden."""
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "company_id": "company",
        "title": "Reconcile the bank",
        "assignee": "demo@accountant.example",
        "created_by": "demo@accountant.example",
        "created_at": NOW,
    }
    return UserTask.model_validate({**fields, **overrides})


def task_event(
    kind: str, company: CompanyId, seq: int, version: int, task: UserTask, **overrides: Any
) -> TaskEvent:
    """A task event of `kind` carrying `task` (with overrides) at `version`."""
    snapshot = task.model_copy(update={"company_id": company, **overrides})
    return KINDS[kind](company_id=company, seq=seq, version=version, task=snapshot)
