"""User tasks in the aggregator: stored per task (guarded by the task's version), counted per
accountant on the dashboard rows, and listed in the `my_tasks` projection (My User Tasks).

Overdue means: not done, and the due date is before today in the company's time zone. A task
without a due date is never overdue. Figures derive from stored state, so redelivery, replay and
the date rollover all come out the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pymongo import DeleteMany, ReplaceOne

from services.aggregator.guarded import GuardedUpsert
from shared.events import TaskEvent
from shared.ids import AccountantId
from shared.mongo import Document, bson_safe, in_chunks
from shared.records import UserTask

PRIORITY_RANK = {"high": 0, "normal": 1, "low": 2}
NO_DUE_DATE = "9999-12-31"
"""Where tasks without a due date sort: after every dated task."""


@dataclass(frozen=True)
class TaskCounts:
    """One accountant's tasks in one company: open ones, and the overdue among them."""

    my_tasks: int = 0
    my_overdue_tasks: int = 0


def is_overdue(task: UserTask, today: date) -> bool:
    """Not done and due before `today` (the company's today); no due date is never overdue."""
    return task.status != "done" and task.due_date is not None and task.due_date < today


def is_due_this_week(task: UserTask, today: date) -> bool:
    """Not done and due in the company's current week (Monday to Sunday)."""
    if task.status == "done" or task.due_date is None:
        return False
    monday = today - timedelta(days=today.weekday())
    return monday <= task.due_date <= monday + timedelta(days=6)


def counts_for(tasks: Iterable[UserTask], accountant: AccountantId, today: date) -> TaskCounts:
    """How many open tasks of a company are assigned to `accountant`, and how many are overdue."""
    mine = [t for t in tasks if t.assignee == accountant and t.status != "done"]
    return TaskCounts(len(mine), sum(1 for t in mine if is_overdue(t, today)))


def task_write(event: TaskEvent) -> GuardedUpsert:
    """Upsert one task's snapshot unless a newer version of it is stored."""
    task = event.task
    doc = {
        "company_id": event.company_id,
        "open": task.status != "done",
        "task": bson_safe(task.model_dump()),
        "version": event.version,
    }
    return GuardedUpsert(task.id, event.company_id, doc, guard="version")


def tasks_from_documents(docs: Iterable[Document]) -> dict[str, list[UserTask]]:
    """Stored open tasks, per company."""
    by_company: dict[str, list[UserTask]] = {}
    for doc in docs:
        by_company.setdefault(doc["company_id"], []).append(UserTask.model_validate(doc["task"]))
    return by_company


@dataclass(frozen=True)
class CompanyTaskView:
    """What a company's My Tasks entries need besides the tasks."""

    company_id: str
    company_name: str
    client_name: str
    time_zone: str
    today: date
    granted_to: frozenset[AccountantId]


def my_task_document(view: CompanyTaskView, task: UserTask) -> Document:
    """One open task in its assignee's My User Tasks list."""
    due = task.due_date.isoformat() if task.due_date else None
    return {
        "accountant_id": task.assignee,
        "task_id": task.id,
        "company_id": view.company_id,
        "company_name": view.company_name,
        "client_name": view.client_name,
        "title": task.title,
        "due_date": due,
        "due_sort": due or NO_DUE_DATE,
        "overdue": is_overdue(task, view.today),
        "due_this_week": is_due_this_week(task, view.today),
        "priority": task.priority,
        "priority_rank": PRIORITY_RANK[task.priority],
        "status": task.status,
        "link": task.link,
        "source": task.source,
        "write_back_error": task.write_back_error,
        "as_of": view.today.isoformat(),
    }


def my_tasks_writes(view: CompanyTaskView, tasks: Sequence[UserTask]) -> list[Any]:
    """Replace a company's entries in `my_tasks`: open tasks whose assignee was granted the company."""
    listed = _listed(view, tasks)
    ids = [my_task_id(AccountantId(t.assignee), t.id) for t in listed]
    writes: list[Any] = [DeleteMany({"company_id": view.company_id, "_id": {"$nin": ids}})]
    writes += [
        ReplaceOne({"_id": key}, my_task_document(view, t), upsert=True)
        for key, t in zip(ids, listed, strict=True)
    ]
    return writes


def batch_my_tasks_writes(companies: Sequence[tuple[CompanyTaskView, Sequence[UserTask]]]) -> list[Any]:
    """`my_tasks` writes for a batch: companies with listed tasks get theirs replaced; every other
    company's entries go in a few deletes (most companies have none, so a batch costs few operations)."""
    idle = [view.company_id for view, tasks in companies if not _listed(view, tasks)]
    writes: list[Any] = [DeleteMany({"company_id": {"$in": chunk}}) for chunk in in_chunks(idle)]
    for view, tasks in companies:
        if _listed(view, tasks):
            writes += my_tasks_writes(view, tasks)
    return writes


def _listed(view: CompanyTaskView, tasks: Sequence[UserTask]) -> list[UserTask]:
    return [t for t in tasks if t.status != "done" and AccountantId(t.assignee) in view.granted_to]


def my_task_id(accountant: AccountantId, task_id: str) -> str:
    """The id of a task's entry in its assignee's list."""
    return f"{accountant}|{task_id}"


def keep_newest_version(index: dict[str, TaskEvent], event: TaskEvent) -> None:
    """Keep, per task, only the event with the highest task version."""
    current = index.get(event.task.id)
    if current is None or current.version < event.version:
        index[event.task.id] = event
