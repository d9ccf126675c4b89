"""The tasks service's internal HTTP API, called by the gateway with the caller's identity.

The caller is the `X-Hub-Accountant` header (the signed-in accountant's work email); only the
gateway can reach this API (NetworkPolicy). A task or company not granted to the caller is 404.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field

from services.tasks.handlers import ConflictError, NewTask, NotFoundError, TaskPatch, TaskService
from services.tasks.rules import TaskRuleError
from shared.ids import AccountantId, CompanyId, accountant_id
from shared.records import TaskPriority, UserTask

CALLER_HEADER = "X-Hub-Accountant"
router = APIRouter(prefix="/internal/v1", tags=["tasks (internal)"])
_EMAIL = r"^[^@\s]+@[^@\s]+$"


class TaskIn(BaseModel):
    """A new task."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=250)
    description: str = Field(default="", max_length=4000)
    assignee: str = Field(min_length=3, max_length=254, pattern=_EMAIL)
    due_date: date | None = None
    priority: TaskPriority = "normal"


class TaskPatchIn(BaseModel):
    """Fields to change; an explicit `"due_date": null` removes the due date."""

    model_config = ConfigDict(extra="forbid")

    assignee: str | None = Field(default=None, min_length=3, max_length=254, pattern=_EMAIL)
    due_date: date | None = None
    priority: TaskPriority | None = None


def _service(request: Request) -> TaskService:
    service: TaskService = request.app.state.tasks
    return service


def _caller(value: str) -> AccountantId:
    return accountant_id(value)


Caller = Annotated[str, Header(alias=CALLER_HEADER, min_length=3, max_length=254)]
TaskId = Annotated[str, Path(min_length=1, max_length=100)]


@router.post("/companies/{company_id}/tasks", status_code=201)
async def create_task(
    request: Request,
    caller: Caller,
    company_id: Annotated[str, Path(min_length=1, max_length=100)],
    body: TaskIn,
) -> UserTask:
    """Create a task in a company granted to the caller."""
    new = NewTask(body.title, accountant_id(body.assignee), body.description, body.due_date, body.priority)
    return await _run(_service(request).create(_caller(caller), CompanyId(company_id), new))


@router.get("/tasks/{task_id}")
async def read_task(request: Request, caller: Caller, task_id: TaskId) -> UserTask:
    """One task in a company granted to the caller."""
    return await _run(_service(request).get(_caller(caller), task_id))


@router.patch("/tasks/{task_id}")
async def update_task(request: Request, caller: Caller, task_id: TaskId, body: TaskPatchIn) -> UserTask:
    """Reassign, change the due date or the priority."""
    patch = TaskPatch(
        assignee=accountant_id(body.assignee) if body.assignee else None,
        due_date=body.due_date,
        clear_due_date="due_date" in body.model_fields_set and body.due_date is None,
        priority=body.priority,
    )
    return await _run(_service(request).update(_caller(caller), task_id, patch))


@router.post("/tasks/{task_id}/complete")
async def complete_task(request: Request, caller: Caller, task_id: TaskId) -> UserTask:
    """Complete a task (a client-system task is completed there too)."""
    return await _run(_service(request).complete(_caller(caller), task_id))


@router.post("/tasks/{task_id}/reopen")
async def reopen_task(request: Request, caller: Caller, task_id: TaskId) -> UserTask:
    """Open a completed hub task again."""
    return await _run(_service(request).reopen(_caller(caller), task_id))


async def _run(pending: Awaitable[UserTask]) -> UserTask:
    try:
        task = await pending
    except NotFoundError:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail="No such task or company among yours: check the id."
        ) from None
    except TaskRuleError as error:
        raise HTTPException(
            422,
            detail=[{"loc": ["body", error.field], "msg": str(error), "type": "value_error"}],
        ) from None
    except ConflictError:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail="The task kept changing; read it again and retry."
        ) from None
    return task
