"""Sample users of a tenant and user tasks of a company (some overdue, some without a due date)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from .entities_sales import UNSET_DATETIME
from .entities_tasks import SimulatedUser, UserTask
from .enums import TaskPriority
from .gen_common import derived_uuid, slug

ACCOUNTANT_EMAIL = "demo@accountant.example"
TITLES = (
    "Reconcile the checking account", "File the VAT return", "Review aged receivables",
    "Approve vendor invoices", "Close the month", "Chase overdue customer payments",
    "Prepare payroll accruals", "Review fixed asset register", "Send statements to customers",
    "Update exchange rates", "Check unapplied payments", "Prepare the board pack",
)  # fmt: skip
PRIORITIES: tuple[TaskPriority, ...] = ("_x0020_", "Low", "Normal", "High")


def tenant_users(tenant_id: UUID, firm: str) -> tuple[SimulatedUser, ...]:
    """The external accountant (invited by e-mail, as BC requires) and two staff users."""
    domain = f"{slug(firm)}.example"
    people = (
        ("DEMO", "Demo Accountant", ACCOUNTANT_EMAIL),
        ("ADMIN", "Administrator", f"admin@{domain}"),
        ("BOOKKEEPER", "Bookkeeper", f"bookkeeper@{domain}"),
    )
    return tuple(
        SimulatedUser(
            security_id=derived_uuid(tenant_id, "user", name), user_name=name, full_name=full, email=mail
        )
        for name, full, mail in people
    )


def user_tasks(rng: random.Random, users: tuple[SimulatedUser, ...], today: date) -> tuple[UserTask, ...]:
    """Three to eight tasks: most for the accountant, some done, some overdue, some without a due date."""
    return tuple(_task(rng, users, task_id, today) for task_id in range(1, rng.randint(3, 8) + 1))


def _task(rng: random.Random, users: tuple[SimulatedUser, ...], task_id: int, today: date) -> UserTask:
    created = _at(today - timedelta(days=rng.randint(10, 60)), rng)
    done = rng.random() < 0.2
    return UserTask(
        id=task_id,
        title=rng.choice(TITLES),
        description="",
        due=_due(rng, today),
        start=created if rng.random() < 0.5 else UNSET_DATETIME,
        created=created,
        percent_complete=100 if done else rng.choice((0, 0, 25, 50, 75)),
        priority=rng.choice(PRIORITIES),
        assigned_to=(users[0] if rng.random() < 0.7 else rng.choice(users[1:])).security_id,
        group_assigned_to=rng.choice(("", "", "FINANCE")),
        created_by=rng.choice(users[1:]),
        completed=created + timedelta(days=rng.randint(1, 9)) if done else UNSET_DATETIME,
        completed_by=users[0].user_name if done else "",
    )


def _due(rng: random.Random, today: date) -> datetime:
    offset = rng.choice((None, -20, -5, -1, 0, 3, 10, 30))
    return UNSET_DATETIME if offset is None else _at(today + timedelta(days=offset), rng)


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 17)), UTC)
