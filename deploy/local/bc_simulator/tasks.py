"""The user tasks of every company (not an API v2.0 entity: the Company Hub's ODataV4 pages)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from .books import SimulatedBooks
from .entities_tasks import SimulatedUser, UserTask


class UnknownTaskError(LookupError):
    """No such user task in the company."""


class TaskBoard:
    """User tasks per company; completing one is BC's `SetComplete` action."""

    def __init__(self, books: SimulatedBooks, clock: Callable[[], datetime]) -> None:
        self._books, self._clock = books, clock
        self._tasks: dict[UUID, dict[int, UserTask]] = {}
        self._users: dict[UUID, dict[UUID, SimulatedUser]] = {}

    def tasks(self, company_id: UUID) -> list[UserTask]:
        """The company's tasks by ID (KeyError for an unknown company)."""
        return sorted(self._company(company_id).values(), key=lambda task: task.id)

    def pending(self, company_id: UUID) -> list[UserTask]:
        """What `AccountantPortalUserTasks` lists: tasks not yet 100 % complete."""
        return [task for task in self.tasks(company_id) if task.percent_complete < 100]

    def user(self, company_id: UUID, security_id: UUID) -> SimulatedUser | None:
        """The user with this security id, if the company has one."""
        self._company(company_id)
        return self._users[company_id].get(security_id)

    def users(self, company_id: UUID) -> list[SimulatedUser]:
        """The company's users."""
        self._company(company_id)
        return list(self._users[company_id].values())

    def complete(self, company_id: UUID, task_id: int, user_name: str) -> UserTask:
        """100 % complete, completed now by `user_name` (again if it already was)."""
        task = self._company(company_id).get(task_id)
        if task is None:
            raise UnknownTaskError(f"user task {task_id}")
        done = {"percent_complete": 100, "completed": self._clock(), "completed_by": user_name}
        self._tasks[company_id][task_id] = task.model_copy(update=done)
        return self._tasks[company_id][task_id]

    def _company(self, company_id: UUID) -> dict[int, UserTask]:
        if company_id not in self._tasks:  # first use: take the generated tasks and users
            more = self._books.company(company_id).more
            self._users[company_id] = {user.security_id: user for user in more.users}
            self._tasks[company_id] = {task.id: task for task in more.user_tasks}
        return self._tasks[company_id]
