"""The Company Hub's ODataV4 user-task pages: the pending list, and SetComplete."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.bc_simulator_support import Bc, odata_company, simulator

PORTAL_FIELDS = {
    "@odata.etag", "ID", "Title", "Due_DateTime", "Percent_Complete", "Priority", "Description",
    "Created_By_Name", "Created_DateTime", "Start_DateTime", "Assigned_To", "Link",
    "User_Task_Group_Assigned_To",
}  # fmt: skip
UNSET = "0001-01-01T00:00:00.000Z"


@pytest.fixture
async def bc() -> AsyncIterator[Bc]:
    async with simulator() as connected:
        yield connected


async def portal_tasks(bc: Bc, info: dict[str, Any]) -> list[dict[str, Any]]:
    return await bc.get_all(odata_company(info) + "/AccountantPortalUserTasks", await bc.headers(info))


async def test_the_portal_page_lists_pending_tasks_in_the_page_shape(bc: Bc) -> None:
    infos = await bc.companies()
    info = infos[0]
    response = await bc.http.get(
        odata_company(info) + "/AccountantPortalUserTasks", headers=await bc.headers(info)
    )
    tasks = [t for i in infos for t in await portal_tasks(bc, i)]

    assert response.status_code == 200
    assert response.json()["@odata.context"].endswith(
        f"/ODataV4/$metadata#Company('{info['name']}')/AccountantPortalUserTasks"
    )
    assert all(set(task) == PORTAL_FIELDS for task in tasks)
    assert all(isinstance(t["ID"], int) and 0 <= t["Percent_Complete"] < 100 for t in tasks)
    assert {t["Priority"] for t in tasks} <= {"_x0020_", "Low", "Normal", "High"}
    assert any(t["Due_DateTime"] == UNSET for t in tasks), "some tasks have no due date"
    assert any(t["Due_DateTime"] not in (UNSET,) and t["Due_DateTime"] < "2026-11-25" for t in tasks), (
        "some overdue"
    )
    assert all(re.match(r"^https://businesscentral\.dynamics\.com/.+page=1171", t["Link"]) for t in tasks)


async def test_assignees_are_user_security_ids_of_the_company(bc: Bc) -> None:
    info = (await bc.companies())[0]
    users = (await bc.http.get(f"/_simulator/companies/{info['companyId']}/users")).json()
    tasks = await portal_tasks(bc, info)

    by_id = {user["securityId"]: user for user in users}
    assert {t["Assigned_To"] for t in tasks} <= set(by_id)
    assert "demo@accountant.example" in {user["email"] for user in users}


async def test_set_complete_marks_the_task_done_and_hides_it_from_the_portal_page(bc: Bc) -> None:
    info = (await bc.companies())[0]
    headers = await bc.headers(info)
    task = (await portal_tasks(bc, info))[0]
    url = f"{odata_company(info)}/UserTaskSetComplete({task['ID']})"

    done = await bc.http.post(f"{url}/NAV.SetComplete", headers=headers)
    listed = await bc.http.get(url, headers=headers)
    pending = await portal_tasks(bc, info)

    assert done.status_code == 204
    row = listed.json()
    assert (row["ID"], row["Percent_Complete"]) == (task["ID"], 100)
    assert (row["Completed_By_User_Name"], row["Completed_DateTime"]) == (
        "ACCOUNTANT-HUB",
        "2026-11-25T10:00:00.000Z",
    )
    assert row["Assigned_To_User_Name"] in {"DEMO", "ADMIN", "BOOKKEEPER"}
    assert task["ID"] not in {t["ID"] for t in pending}


async def test_unknown_tasks_and_companies_and_missing_tokens_are_refused(bc: Bc) -> None:
    info = (await bc.companies())[0]
    headers = await bc.headers(info)
    company = odata_company(info)
    elsewhere = company.replace(info["name"], "No Such Company")

    unknown_task = await bc.http.post(f"{company}/UserTaskSetComplete(9999)/NAV.SetComplete", headers=headers)
    unknown_company = await bc.http.get(f"{elsewhere}/AccountantPortalUserTasks", headers=headers)
    anonymous = await bc.http.get(f"{company}/AccountantPortalUserTasks")

    assert (unknown_task.status_code, unknown_company.status_code, anonymous.status_code) == (404, 404, 401)
    assert unknown_company.json()["error"]["code"] == "BadRequest_NotFound"
