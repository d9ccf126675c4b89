"""User tasks as the ODataV4 pages the Company Hub reads serve them (page field names, not camelCase).

`AccountantPortalUserTasks` (page 1316) lists the caller's pending tasks; `UserTaskSetComplete`
(page 1170, "User Task List") lists every task and has the `SetComplete` action.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from .entities import ODataRow
from .entities_sales import UNSET_DATETIME
from .enums import TaskPriority

Percent = Annotated[int, Field(ge=0, le=100)]


class SimulatedUser(BaseModel):
    """A user of a company (BC's User table): the security id tasks are assigned to."""

    model_config = ConfigDict(frozen=True)

    security_id: UUID
    user_name: str
    full_name: str
    email: str


class UserTask(BaseModel):
    """A user task as stored; the two pages below are views of it."""

    model_config = ConfigDict(frozen=True)

    id: int
    title: str
    description: str
    due: datetime = UNSET_DATETIME
    start: datetime = UNSET_DATETIME
    created: datetime
    percent_complete: Percent
    priority: TaskPriority
    assigned_to: UUID
    group_assigned_to: str = ""
    created_by: SimulatedUser
    completed: datetime = UNSET_DATETIME
    completed_by: str = ""


class PortalUserTask(ODataRow):
    """A row of `AccountantPortalUserTasks`."""

    entity_type: ClassVar[str] = "AccountantPortalUserTasks"
    key_field: ClassVar[str] = "id"

    id: int = Field(alias="ID")
    title: str = Field(alias="Title")
    due_date_time: datetime = Field(alias="Due_DateTime")
    percent_complete: Percent = Field(alias="Percent_Complete")
    priority: TaskPriority = Field(alias="Priority")
    description: str = Field(alias="Description")
    created_by_name: str = Field(alias="Created_By_Name")
    created_date_time: datetime = Field(alias="Created_DateTime")
    start_date_time: datetime = Field(alias="Start_DateTime")
    assigned_to: UUID = Field(alias="Assigned_To")
    link: str = Field(alias="Link")
    user_task_group_assigned_to: str = Field(alias="User_Task_Group_Assigned_To")


class UserTaskListRow(ODataRow):
    """A row of `UserTaskSetComplete` (the User Task List page)."""

    entity_type: ClassVar[str] = "UserTaskSetComplete"
    key_field: ClassVar[str] = "id"

    id: int = Field(alias="ID")
    title: str = Field(alias="Title")
    due_date_time: datetime = Field(alias="Due_DateTime")
    priority: TaskPriority = Field(alias="Priority")
    percent_complete: Percent = Field(alias="Percent_Complete")
    assigned_to_user_name: str = Field(alias="Assigned_To_User_Name")
    user_task_group_assigned_to: str = Field(alias="User_Task_Group_Assigned_To")
    created_date_time: datetime = Field(alias="Created_DateTime")
    completed_date_time: datetime = Field(alias="Completed_DateTime")
    start_date_time: datetime = Field(alias="Start_DateTime")
    created_by_user_name: str = Field(alias="Created_By_User_Name")
    completed_by_user_name: str = Field(alias="Completed_By_User_Name")


def portal_row(task: UserTask, link: str) -> PortalUserTask:
    """The task as `AccountantPortalUserTasks` shows it."""
    return PortalUserTask(
        id=task.id,
        title=task.title,
        due_date_time=task.due,
        percent_complete=task.percent_complete,
        priority=task.priority,
        description=task.description,
        created_by_name=task.created_by.user_name,
        created_date_time=task.created,
        start_date_time=task.start,
        assigned_to=task.assigned_to,
        link=link,
        user_task_group_assigned_to=task.group_assigned_to,
    )


def list_row(task: UserTask, assignee: str) -> UserTaskListRow:
    """The task as `UserTaskSetComplete` shows it."""
    return UserTaskListRow(
        id=task.id,
        title=task.title,
        due_date_time=task.due,
        priority=task.priority,
        percent_complete=task.percent_complete,
        assigned_to_user_name=assignee,
        user_task_group_assigned_to=task.group_assigned_to,
        created_date_time=task.created,
        completed_date_time=task.completed,
        start_date_time=task.start,
        created_by_user_name=task.created_by.user_name,
        completed_by_user_name=task.completed_by,
    )
