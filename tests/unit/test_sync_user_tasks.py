"""Sync's user tasks: BC's task page mapped, the list published only when it changed, write-back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from services.sync.commands import CommandDispatcher
from services.sync.connectors.base import ClientSystemError
from services.sync.connectors.bc_tasks import client_user_task, odata_root, set_complete_path
from services.sync.directory import CompanyDirectory
from services.sync.handlers import SyncContext
from services.sync.poller import sync_connection
from services.sync.publishing import Outbox
from services.sync.task_writeback import NOT_CONNECTED, TaskWriteBackHandler
from shared.commands import CompleteUserTaskRequested, encode_command
from shared.events import ClientUserTasksReported, ClientUserTaskWriteBack
from shared.ids import CompanyId
from shared.records import ClientUserTask
from tests.builders import NOW
from tests.sync_fakes import InMemorySyncStateStore, MovableClock, RecordingSink, ScriptedConnector
from tests.unit.test_sync_handlers import client_connection, remote_company

DEMO = "9b3ad1a8-1a1e-4bb5-8c55-2a7c3f0e9c11"
PAGE_ROW = {
    "ID": 3,
    "Title": "File the VAT return",
    "Due_DateTime": "2026-11-25T23:30:00Z",
    "Percent_Complete": 25,
    "Priority": "High",
    "Description": "",
    "Created_By_Name": "ADMIN",
    "Created_DateTime": "2026-11-01T09:00:00Z",
    "Start_DateTime": "0001-01-01T00:00:00Z",
    "Assigned_To": DEMO.upper(),
    "Link": "https://businesscentral.dynamics.com/t/production/?company=Cronus&page=1171",
    "User_Task_Group_Assigned_To": "",
}


def test_a_bc_task_row_becomes_a_client_task_due_on_the_companys_own_date() -> None:
    task = client_user_task(PAGE_ROW, {DEMO: "demo@accountant.example"}, "Pacific/Auckland")
    assert (task.remote_id, task.assignee, task.priority, task.percent_complete) == (
        "3",
        "demo@accountant.example",
        "high",
        25,
    )
    assert task.due_date == date(2026, 11, 26)  # 23:30 UTC is already the 26th in Auckland
    assert task.start_date is None
    assert client_user_task(PAGE_ROW, {}, "UTC").assignee == f"bc-user:{DEMO}"


def test_odata_urls_quote_the_company_name_and_address_the_task_action() -> None:
    root = odata_root("https://api.example", "t1", "production", "O'Neil & Sons")
    assert root == "https://api.example/v2.0/t1/production/ODataV4/Company('O%27%27Neil%20%26%20Sons')"
    assert set_complete_path("17") == "UserTaskSetComplete(17)/NAV.SetComplete"


@dataclass
class Parts:
    connector: ScriptedConnector
    ctx: SyncContext
    sink: RecordingSink
    directory: CompanyDirectory
    handler: TaskWriteBackHandler


@pytest.fixture
def parts() -> Parts:
    connector, store, sink, clock = (
        ScriptedConnector(),
        InMemorySyncStateStore(),
        RecordingSink(),
        MovableClock(NOW),
    )
    outbox = Outbox(store, sink)
    ctx = SyncContext(client_connection(), connector, store, outbox, clock, timedelta(minutes=1))
    directory = CompanyDirectory()
    return Parts(connector, ctx, sink, directory, TaskWriteBackHandler(lambda: [ctx], directory, outbox))


def pending(remote_id: str) -> ClientUserTask:
    return ClientUserTask(
        remote_id=remote_id, title=f"Task {remote_id}", assignee="demo@x.example", created_at=NOW
    )


async def test_the_task_list_is_published_when_it_changes_and_only_then(parts: Parts) -> None:
    company = parts.connector.add_company(remote_company())
    known = parts.directory.known(parts.ctx.connection.client_id)
    parts.connector.tasks[company.id] = {"1": pending("1"), "2": pending("2")}
    await sync_connection(parts.ctx, known)
    await sync_connection(parts.ctx, known)  # unchanged: nothing new
    parts.connector.tasks[company.id]["2"] = pending("2").model_copy(update={"percent_complete": 100})
    await sync_connection(parts.ctx, known)
    reports = parts.sink.of_type(ClientUserTasksReported, CompanyId(company.id))
    assert [[t.remote_id for t in r.tasks] for r in reports] == [["1", "2"], ["1"]]


async def test_write_back_completes_the_task_in_the_client_system_and_reports_success(parts: Parts) -> None:
    company = parts.connector.add_company(remote_company())
    parts.connector.tasks[company.id] = {"7": pending("7")}
    await sync_connection(parts.ctx, parts.directory.known(parts.ctx.connection.client_id))
    command = CompleteUserTaskRequested(
        correlation_id="task-1", company_id=CompanyId(company.id), task_id="task-1", remote_id="7"
    )
    dispatcher = CommandDispatcher()
    dispatcher.register(CompleteUserTaskRequested, parts.handler)
    await dispatcher.dispatch(dispatcher.decode(encode_command(command)))
    assert parts.connector.tasks[company.id]["7"].percent_complete == 100
    (outcome,) = parts.sink.of_type(ClientUserTaskWriteBack, CompanyId(company.id))
    assert (outcome.task_id, outcome.error, outcome.correlation_id) == ("task-1", None, "task-1")


async def test_a_refused_write_back_is_reported_with_the_client_systems_reason(parts: Parts) -> None:
    company = parts.connector.add_company(remote_company())
    await sync_connection(parts.ctx, parts.directory.known(parts.ctx.connection.client_id))
    parts.connector.task_error = ClientSystemError("HTTP 403 from the client's system (Permissions)")
    await parts.handler(
        CompleteUserTaskRequested(
            correlation_id="t", company_id=CompanyId(company.id), task_id="t", remote_id="7"
        )
    )
    (outcome,) = parts.sink.of_type(ClientUserTaskWriteBack, CompanyId(company.id))
    assert outcome.error == "HTTP 403 from the client's system (Permissions)"


async def test_a_write_back_for_a_company_no_connection_lists_is_reported_not_dropped(parts: Parts) -> None:
    await parts.handler(
        CompleteUserTaskRequested(
            correlation_id="t", company_id=CompanyId("gone"), task_id="t", remote_id="7"
        )
    )
    (outcome,) = parts.sink.of_type(ClientUserTaskWriteBack, CompanyId("gone"))
    assert outcome.error == NOT_CONNECTED
