"""Tasks: My User Tasks (read from the aggregator's projection) and task commands (forwarded to
the tasks service with the caller's identity). A task or company not granted to the caller is 404.

Overdue means: not done, and the due date is before today in the company's time zone. A task
without a due date is never overdue.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status

from services.gateway.dashboard_query import InvalidCursorError
from services.gateway.deps import CurrentAccountant, Db
from services.gateway.my_tasks_query import TaskFilter, TaskSort, my_tasks_page
from services.gateway.schemas import Problem
from services.gateway.task_schemas import OVERDUE_RULE, MyTask, MyTasksPage, Task, TaskIn, TaskPatchIn
from services.gateway.tasks_client import TasksClient

router = APIRouter(prefix="/api/v1", tags=["tasks"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    404: {"model": Problem},
    409: {"model": Problem},
    422: {"model": Problem},
    503: {"model": Problem},
}


def get_tasks_client(request: Request) -> TasksClient:
    """The client of the tasks service (set on app.state by the composition root)."""
    client: TasksClient = request.app.state.tasks_client
    return client


Tasks = Annotated[TasksClient, Depends(get_tasks_client)]
TaskId = Annotated[str, Path(min_length=1, max_length=100, description="from My User Tasks")]


@router.get(
    "/my-tasks", responses={400: {"model": Problem}, 401: {"model": Problem}, 422: {"model": Problem}}
)
async def read_my_tasks(
    accountant: CurrentAccountant,
    db: Db,
    sort: Annotated[
        TaskSort, Query(description="due_date (no due date last), -due_date, client, priority")
    ] = ("due_date"),
    client: Annotated[str | None, Query(max_length=200, description="only this client's tasks")] = None,
    overdue: Annotated[bool | None, Query(description=f"true: only overdue tasks. {OVERDUE_RULE}")] = None,
    due_this_week: Annotated[
        bool | None,
        Query(description="true: only tasks due this week (Monday to Sunday, company's time zone)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="tasks per page")] = 100,
    cursor: Annotated[str | None, Query(max_length=2000, description="from `next_cursor`")] = None,
) -> MyTasksPage:
    """Every open task assigned to the caller across their client companies."""
    where = TaskFilter(client=client, overdue=overdue, due_this_week=due_this_week)
    try:
        docs, next_cursor = await my_tasks_page(db, accountant, where, sort, limit, cursor)
    except InvalidCursorError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail="cursor: not a cursor from this API for this sort; start again without it.",
        ) from None
    return MyTasksPage(tasks=[MyTask.model_validate(d) for d in docs], next_cursor=next_cursor)


@router.post("/companies/{company_id}/tasks", status_code=201, responses=ERRORS)
async def create_task(
    accountant: CurrentAccountant,
    tasks: Tasks,
    company_id: Annotated[str, Path(min_length=1, max_length=100, description="from the dashboard row")],
    body: TaskIn,
) -> Task:
    """Create a task in one of the caller's companies, for an accountant granted that company."""
    created = await tasks.send(
        "POST", f"/companies/{quote(company_id, safe='')}/tasks", accountant, body.model_dump(mode="json")
    )
    return Task.model_validate(created)


@router.patch("/tasks/{task_id}", responses=ERRORS)
async def update_task(
    accountant: CurrentAccountant, tasks: Tasks, task_id: TaskId, body: TaskPatchIn
) -> Task:
    """Reassign a task, change its due date (null removes it) or its priority."""
    changes = body.model_dump(mode="json", exclude_unset=True)
    return Task.model_validate(
        await tasks.send("PATCH", f"/tasks/{quote(task_id, safe='')}", accountant, changes)
    )


@router.post("/tasks/{task_id}/complete", responses=ERRORS)
async def complete_task(accountant: CurrentAccountant, tasks: Tasks, task_id: TaskId) -> Task:
    """Complete a task; one from the client's system is completed there too (a failure shows on it)."""
    return Task.model_validate(
        await tasks.send("POST", f"/tasks/{quote(task_id, safe='')}/complete", accountant)
    )


@router.post("/tasks/{task_id}/reopen", responses=ERRORS)
async def reopen_task(accountant: CurrentAccountant, tasks: Tasks, task_id: TaskId) -> Task:
    """Open a completed hub task again (a client-system task is reopened in the client's system)."""
    return Task.model_validate(
        await tasks.send("POST", f"/tasks/{quote(task_id, safe='')}/reopen", accountant)
    )
