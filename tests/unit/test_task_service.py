"""The tasks service's use cases over the in-memory store: access, events, outbox, write-back."""

from __future__ import annotations

from datetime import date

import pytest

from services.tasks.handlers import NewTask, NotFoundError, TaskPatch, TaskService
from services.tasks.rules import TaskRuleError, client_task_id
from shared.commands import CompleteUserTaskRequested
from shared.events import (
    AccessGranted,
    ClientUserTasksReported,
    ClientUserTaskWriteBack,
    TaskAssigned,
    TaskCompleted,
    TaskCreated,
    TaskReopened,
)
from shared.ids import AccountantId, CompanyId
from shared.records import ClientUserTask
from shared.topics import SYNC_COMMANDS, TASKS_EVENTS
from tests.builders import NOW
from tests.task_fakes import InMemoryTaskStore, RecordingSink

ANNA, BEN, EVE = (
    AccountantId("anna@firm.example"),
    AccountantId("ben@firm.example"),
    AccountantId("eve@x.example"),
)
COMPANY, OTHER = CompanyId("c-1"), CompanyId("c-2")


@pytest.fixture
async def setup() -> tuple[TaskService, InMemoryTaskStore, RecordingSink]:
    store, sink = InMemoryTaskStore(), RecordingSink()
    for seq, who in enumerate((ANNA, BEN), start=1):
        await store.save_grant(AccessGranted(company_id=COMPANY, seq=seq, accountant_id=who))
    await store.save_grant(AccessGranted(company_id=OTHER, seq=1, accountant_id=EVE))
    return TaskService(store, sink, sink, lambda: NOW), store, sink


async def test_created_reassigned_and_completed_task_publishes_one_event_each_with_rising_versions(
    setup: tuple[TaskService, InMemoryTaskStore, RecordingSink],
) -> None:
    service, _, sink = setup
    task = await service.create(ANNA, COMPANY, NewTask("Close the month", ANNA, due_date=date(2026, 11, 30)))
    await service.update(ANNA, task.id, TaskPatch(assignee=BEN))
    await service.update(ANNA, task.id, TaskPatch(assignee=BEN))  # no change, no event
    await service.complete(BEN, task.id)
    events = [e for topic, e in sink.published if topic == TASKS_EVENTS]
    assert [type(e) for e in events] == [TaskCreated, TaskAssigned, TaskCompleted]
    assert [e.version for e in events] == [1, 2, 3]  # type: ignore[attr-defined]
    assert [e.seq for e in events] == [1, 2, 3]


async def test_accountant_cannot_create_read_or_complete_a_task_in_a_company_not_granted_to_them(
    setup: tuple[TaskService, InMemoryTaskStore, RecordingSink],
) -> None:
    service, _, sink = setup
    with pytest.raises(NotFoundError):
        await service.create(EVE, COMPANY, NewTask("Peek", EVE))
    task = await service.create(ANNA, COMPANY, NewTask("Close the month", ANNA))
    with pytest.raises(NotFoundError):
        await service.get(EVE, task.id)
    with pytest.raises(NotFoundError):
        await service.complete(EVE, task.id)
    assert (await service.get(ANNA, task.id)).status == "open"
    assert len(sink.published) == 1


async def test_task_cannot_be_assigned_to_an_accountant_not_granted_the_company(
    setup: tuple[TaskService, InMemoryTaskStore, RecordingSink],
) -> None:
    service, _, _ = setup
    with pytest.raises(TaskRuleError) as raised:
        await service.create(ANNA, COMPANY, NewTask("Close the month", EVE))
    assert raised.value.field == "assignee"


async def test_event_left_in_the_outbox_by_a_broker_outage_is_sent_by_the_next_flush(
    setup: tuple[TaskService, InMemoryTaskStore, RecordingSink],
) -> None:
    service, store, sink = setup
    sink.fail = True
    with pytest.raises(ConnectionError):
        await service.create(ANNA, COMPANY, NewTask("Close the month", ANNA))
    assert sink.published == []
    assert len(await store.with_outbox()) == 1
    sink.fail = False
    assert await service.flush_outbox() == 1
    assert [type(e) for _, e in sink.published] == [TaskCreated]
    assert await store.with_outbox() == []


def reported(seq: int, *remote_ids: str) -> ClientUserTasksReported:
    tasks = tuple(
        ClientUserTask(remote_id=r, title=f"Task {r}", assignee=ANNA, created_at=NOW, link=f"https://bc/{r}")
        for r in remote_ids
    )
    return ClientUserTasksReported(company_id=COMPANY, seq=seq, tasks=tasks)


async def test_client_tasks_are_merged_once_and_disappear_when_done_in_the_client_system(
    setup: tuple[TaskService, InMemoryTaskStore, RecordingSink],
) -> None:
    service, _, sink = setup
    await service.apply_client_report(reported(1, "1", "2"))
    await service.apply_client_report(reported(1, "1", "2"))  # redelivered
    await service.apply_client_report(reported(2, "1", "2"))  # same list again
    await service.apply_client_report(reported(3, "1"))  # "2" was completed in BC
    kinds = [(type(e).__name__, e.task.remote_id) for _, e in sink.published]  # type: ignore[attr-defined]
    assert kinds == [("TaskCreated", "1"), ("TaskCreated", "2"), ("TaskCompleted", "2")]


async def test_completing_a_client_task_sends_the_write_back_and_a_failure_reopens_it_with_the_reason(
    setup: tuple[TaskService, InMemoryTaskStore, RecordingSink],
) -> None:
    service, _, sink = setup
    await service.apply_client_report(reported(1, "7"))
    task_id = client_task_id(COMPANY, "7")
    done = await service.complete(ANNA, task_id)
    assert done.status == "done"
    commands = [c for topic, c in sink.commands if topic == SYNC_COMMANDS]
    assert len(commands) == 1
    assert isinstance(commands[0], CompleteUserTaskRequested)
    assert commands[0].remote_id == "7"
    await service.apply_client_report(reported(2, "7"))  # listed before BC saw the completion
    assert (await service.get(ANNA, task_id)).status == "done"
    failure = ClientUserTaskWriteBack(
        company_id=COMPANY, seq=3, task_id=task_id, remote_id="7", error="HTTP 403"
    )
    await service.apply_write_back(failure)
    await service.apply_write_back(failure)  # redelivered: no second event
    reopened = await service.get(ANNA, task_id)
    assert (reopened.status, reopened.write_back_error) == ("open", "HTTP 403")
    assert [type(e) for _, e in sink.published].count(TaskReopened) == 1


async def test_a_client_system_task_is_changed_in_the_client_system_not_in_the_hub(
    setup: tuple[TaskService, InMemoryTaskStore, RecordingSink],
) -> None:
    service, _, _ = setup
    await service.apply_client_report(reported(1, "7"))
    with pytest.raises(TaskRuleError) as raised:
        await service.update(ANNA, client_task_id(COMPANY, "7"), TaskPatch(assignee=BEN))
    assert raised.value.field == "assignee"
