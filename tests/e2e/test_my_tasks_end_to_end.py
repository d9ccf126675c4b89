"""My User Tasks through every service: BC tasks merged, hub tasks created, completion written back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from deploy.local.bc_simulator.client import SCOPE
from deploy.local.bc_simulator.settings import SimulatorSettings
from deploy.local.stack import SAMPLE_ACCOUNTANT, Stack
from services.sync.connectors.bc_tasks import odata_root
from shared.dates import company_today
from tests.waiting import eventually

pytestmark = pytest.mark.e2e
Task = dict[str, Any]


async def my_tasks(api: httpx.AsyncClient, **params: str) -> list[Task]:
    response = await api.get("/api/v1/my-tasks", params={"limit": "500", **params})
    response.raise_for_status()
    tasks: list[Task] = response.json()["tasks"]
    return tasks


async def bc_task(company: dict[str, Any], remote_id: str) -> dict[str, Any]:
    """The task as BC's User Task List shows it (completed ones included)."""
    settings = SimulatorSettings()
    api_url = company["apiUrl"]
    root = odata_root(
        api_url[: api_url.index("/v2.0/")], company["tenantId"], company["environment"], company["name"]
    )
    async with httpx.AsyncClient(timeout=10) as http:
        token = await http.post(
            company["tokenUrl"],
            data={
                "grant_type": "client_credentials",
                "client_id": settings.client_id,
                "client_secret": settings.client_secret,
                "scope": SCOPE,
            },
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        response = await http.get(f"{root}/UserTaskSetComplete({remote_id})", headers=headers)
        response.raise_for_status()
        row: dict[str, Any] = response.json()
        return row


async def test_client_system_task_completed_from_the_hub_is_written_back_and_leaves_my_tasks(
    stack: Stack, accountant_api: httpx.AsyncClient, simulator: httpx.AsyncClient
) -> None:
    tasks = await eventually(
        lambda: my_tasks(accountant_api), lambda ts: any(t["source"] == "client_system" for t in ts)
    )
    task = next(t for t in tasks if t["source"] == "client_system")
    assert task["link"]
    companies = {c["companyId"]: c for c in (await simulator.get("/companies")).json()}
    company = companies[task["company_id"]]
    assert task["company_name"] == company["name"]
    remote_id = task["link"].split("IS%20%27")[1].split("%27")[0]

    done = await accountant_api.post(f"/api/v1/tasks/{task['task_id']}/complete")
    assert done.status_code == 200, done.text
    await eventually(
        lambda: my_tasks(accountant_api), lambda ts: task["task_id"] not in {t["task_id"] for t in ts}
    )
    await eventually(lambda: bc_task(company, remote_id), lambda t: t["Percent_Complete"] == 100)


async def test_refused_write_back_reopens_the_task_with_the_reason_shown(
    stack: Stack, accountant_api: httpx.AsyncClient, simulator: httpx.AsyncClient
) -> None:
    tasks = await eventually(
        lambda: my_tasks(accountant_api), lambda ts: any(t["source"] == "client_system" for t in ts)
    )
    task = next(t for t in tasks if t["source"] == "client_system")
    await simulator.post(f"/companies/{task['company_id']}/fail", json={"status_code": 403})
    try:
        assert (await accountant_api.post(f"/api/v1/tasks/{task['task_id']}/complete")).status_code == 200
        shown = await eventually(
            lambda: my_tasks(accountant_api),
            lambda ts: any(t["task_id"] == task["task_id"] and t["write_back_error"] for t in ts),
        )
    finally:
        await simulator.post(f"/companies/{task['company_id']}/fail", json=None)
    reopened = next(t for t in shown if t["task_id"] == task["task_id"])
    assert "403" in reopened["write_back_error"]
    assert reopened["status"] == "open"


async def test_hub_task_due_yesterday_is_overdue_on_the_row_and_in_the_list_until_completed(
    stack: Stack, accountant_api: httpx.AsyncClient, simulator: httpx.AsyncClient
) -> None:
    company = (await simulator.get("/companies")).json()[0]
    yesterday = company_today(company["timeZone"], datetime.now(UTC)) - timedelta(days=1)
    before = await eventually(lambda: row(accountant_api, company["companyId"]), lambda r: r is not None)
    body = {"title": "Chase the auditors", "assignee": SAMPLE_ACCOUNTANT, "due_date": yesterday.isoformat()}
    created = await accountant_api.post(f"/api/v1/companies/{company['companyId']}/tasks", json=body)
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    listed = await eventually(
        lambda: my_tasks(accountant_api, overdue="true"), lambda ts: task_id in {t["task_id"] for t in ts}
    )
    assert next(t for t in listed if t["task_id"] == task_id)["client_name"] == company["tenantName"]
    after = await row(accountant_api, company["companyId"])
    assert after is not None
    assert before is not None
    assert after["my_overdue_tasks"] >= 1
    assert (await accountant_api.post(f"/api/v1/tasks/{task_id}/complete")).status_code == 200
    await eventually(lambda: my_tasks(accountant_api), lambda ts: task_id not in {t["task_id"] for t in ts})


async def row(api: httpx.AsyncClient, company_id: str) -> dict[str, Any] | None:
    response = await api.get("/api/v1/dashboard", params={"limit": 500})
    response.raise_for_status()
    return next((r for r in response.json()["rows"] if r["company_id"] == company_id), None)


async def test_outsider_cannot_create_complete_or_list_tasks_in_companies_not_granted_to_them(
    stack: Stack,
    accountant_api: httpx.AsyncClient,
    outsider_api: httpx.AsyncClient,
    simulator: httpx.AsyncClient,
) -> None:
    company = (await simulator.get("/companies")).json()[0]
    body = {"title": "Peek", "assignee": "outsider@other-firm.example"}
    assert (
        await outsider_api.post(f"/api/v1/companies/{company['companyId']}/tasks", json=body)
    ).status_code == 404
    tasks = await eventually(lambda: my_tasks(accountant_api), lambda ts: len(ts) > 0)
    assert (await outsider_api.post(f"/api/v1/tasks/{tasks[0]['task_id']}/complete")).status_code == 404
    assert (
        await outsider_api.patch(f"/api/v1/tasks/{tasks[0]['task_id']}", json={"priority": "low"})
    ).status_code == 404
    assert await my_tasks(outsider_api) == []
