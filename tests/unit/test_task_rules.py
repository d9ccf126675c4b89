"""The task rules: overdue in the company's time zone, counts per accountant, client-system merges."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.aggregator.tasks import counts_for, is_due_this_week, is_overdue
from services.tasks import rules
from shared.dates import company_today
from shared.ids import AccountantId
from shared.records import ClientUserTask
from tests.builders import NOW
from tests.task_builders import user_task

ANNA, BEN = AccountantId("anna@firm.example"), AccountantId("ben@firm.example")
# 2026-11-25 11:30 UTC: already the 26th in Auckland (UTC+13), still the 25th in Los Angeles (UTC-8).
MOMENT = datetime(2026, 11, 25, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "overdue"),
    [("Pacific/Auckland", True), ("America/Los_Angeles", False)],
)
def test_task_due_on_the_25th_is_overdue_only_where_the_26th_has_begun(zone: str, overdue: bool) -> None:
    task = user_task(due_date=date(2026, 11, 25))
    assert is_overdue(task, company_today(zone, MOMENT)) is overdue


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "America/Los_Angeles"])
def test_task_due_today_is_not_overdue_but_due_yesterday_is(zone: str) -> None:
    today = company_today(zone, MOMENT)
    assert not is_overdue(user_task(due_date=today), today)
    assert is_overdue(user_task(due_date=date.fromordinal(today.toordinal() - 1)), today)


def test_task_without_a_due_date_is_never_overdue() -> None:
    assert not is_overdue(user_task(due_date=None), date(2100, 1, 1))


def test_done_task_is_not_overdue() -> None:
    assert not is_overdue(user_task(due_date=date(2020, 1, 1), status="done"), date(2026, 11, 25))


def test_due_this_week_runs_monday_to_sunday_of_the_company_week() -> None:
    wednesday = date(2026, 11, 25)
    assert is_due_this_week(user_task(due_date=date(2026, 11, 23)), wednesday)
    assert is_due_this_week(user_task(due_date=date(2026, 11, 29)), wednesday)
    assert not is_due_this_week(user_task(due_date=date(2026, 11, 30)), wednesday)
    assert not is_due_this_week(user_task(due_date=None), wednesday)


def test_reassigning_moves_the_task_from_one_accountants_counts_to_the_others() -> None:
    task = user_task(assignee=ANNA, due_date=date(2026, 11, 1))
    today = date(2026, 11, 25)
    assert (counts_for([task], ANNA, today).my_tasks, counts_for([task], ANNA, today).my_overdue_tasks) == (
        1,
        1,
    )
    change = rules.reassign(task, BEN)
    assert change is not None
    assert change.kind == "assigned"
    moved = [change.task]
    assert counts_for(moved, ANNA, today).my_tasks == 0
    assert (counts_for(moved, BEN, today).my_tasks, counts_for(moved, BEN, today).my_overdue_tasks) == (1, 1)


def test_reassigning_to_the_same_accountant_changes_nothing() -> None:
    assert rules.reassign(user_task(assignee=ANNA), ANNA) is None


def test_completing_a_client_system_task_asks_for_a_write_back() -> None:
    change = rules.complete(user_task(source="client_system", remote_id="7"))
    assert change is not None
    assert change.task.status == "done"
    assert change.write_back


def test_a_client_system_task_cannot_be_reopened_from_the_hub() -> None:
    with pytest.raises(rules.TaskRuleError) as raised:
        rules.reopen(user_task(source="client_system", remote_id="7", status="done"))
    assert raised.value.field == "task_id"


def remote(remote_id: str = "7", **overrides: object) -> ClientUserTask:
    fields: dict[str, object] = {"remote_id": remote_id, "title": "File the VAT return", "assignee": ANNA}
    return ClientUserTask.model_validate({"created_at": NOW, **fields, **overrides})


def test_the_same_client_task_reported_twice_is_merged_not_duplicated() -> None:
    first = rules.from_client("c-1", remote())
    created = rules.merge_reported(None, first, write_back_pending=False)
    assert created is not None
    assert created.kind == "created"
    assert (
        rules.merge_reported(created.task, rules.from_client("c-1", remote()), write_back_pending=False)
        is None
    )
    assert rules.client_task_id("c-1", "7") == first.id


def test_a_client_task_missing_from_the_report_was_completed_there() -> None:
    listed = rules.from_client("c-1", remote("1"))
    gone = rules.from_client("c-1", remote("2"))
    changes = rules.missing_from_report([listed, gone], {listed.id})
    assert [(c.task.id, c.kind, c.task.status) for c in changes] == [(gone.id, "completed", "done")]


def test_a_report_older_than_our_completion_does_not_reopen_the_task() -> None:
    done = rules.from_client("c-1", remote()).model_copy(update={"status": "done"})
    assert rules.merge_reported(done, rules.from_client("c-1", remote()), write_back_pending=True) is None
