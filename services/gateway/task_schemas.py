"""The public API's task models (they become the OpenAPI schema)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Priority = Literal["low", "normal", "high"]
OVERDUE_RULE = (
    "Overdue means: not done, and the due date is before today in the company's time zone. "
    "A task without a due date is never overdue."
)
_EMAIL = r"^[^@\s]+@[^@\s]+$"


class MyTask(BaseModel):
    """An open task assigned to the caller, in one of their client companies."""

    task_id: str
    company_id: str
    company_name: str
    client_name: str
    title: str
    due_date: date | None = Field(description="a date in the company's time zone; null: no due date")
    overdue: bool = Field(description=OVERDUE_RULE)
    priority: Priority
    status: Literal["open", "in_progress", "done"]
    link: str | None = Field(description="the task in the client's system, when it lives there")
    source: Literal["hub", "client_system"]
    write_back_error: str | None = Field(
        default=None, description="why completing it in the client's system failed; it is open again"
    )


class MyTasksPage(BaseModel):
    """A page of the caller's open tasks."""

    tasks: list[MyTask]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


class TaskIn(BaseModel):
    """A new task in a company granted to the caller."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=250)
    description: str = Field(default="", max_length=4000)
    assignee: str = Field(
        min_length=3,
        max_length=254,
        pattern=_EMAIL,
        description="work email of an accountant granted the company",
    )
    due_date: date | None = Field(default=None, description="in the company's time zone")
    priority: Priority = "normal"


class TaskPatchIn(BaseModel):
    """What to change; send `"due_date": null` to remove the due date."""

    model_config = ConfigDict(extra="forbid")

    assignee: str | None = Field(default=None, min_length=3, max_length=254, pattern=_EMAIL)
    due_date: date | None = None
    priority: Priority | None = None


class Task(BaseModel):
    """A user task."""

    id: str
    company_id: str
    title: str
    description: str = ""
    assignee: str
    created_by: str = ""
    created_at: datetime
    start_date: date | None = None
    due_date: date | None = Field(default=None, description=f"in the company's time zone. {OVERDUE_RULE}")
    priority: Priority
    status: Literal["open", "in_progress", "done"]
    percent_complete: int
    link: str | None = None
    source: Literal["hub", "client_system"]
    write_back_error: str | None = None
