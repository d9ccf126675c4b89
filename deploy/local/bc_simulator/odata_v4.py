"""The ODataV4 pages the Company Hub reads: `AccountantPortalUserTasks` and `UserTaskSetComplete`.

`/v2.0/{tenant}/{environment}/ODataV4/Company('{name}')/AccountantPortalUserTasks` lists the
pending tasks (BC hides completed ones, which is how the Company Hub notices completion);
`POST .../UserTaskSetComplete({ID})/NAV.SetComplete` completes one (204 No Content).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from .api import authorised_tenant, check_failure, collection, not_found, pause, single
from .deps import Simulator, SimulatorDep
from .entities_tasks import PortalUserTask, UserTaskListRow, list_row, portal_row
from .tasks import UnknownTaskError

ODATA_ROOT = "/v2.0/{tenant}/{environment}/ODataV4"
COMPANY = "/Company('{company_name}')"
WEB_CLIENT = "https://businesscentral.dynamics.com"
router = APIRouter(prefix=ODATA_ROOT, tags=["Business Central ODataV4 pages"])


@router.get(COMPANY + "/AccountantPortalUserTasks")
async def portal_user_tasks(
    tenant: str, environment: str, company_name: str, request: Request, sim: SimulatorDep
) -> Response:
    """Page 1316: the pending user tasks, with a link to each in the web client."""
    company_id, name = await _company(sim, request, tenant, environment, company_name)
    rows = [
        portal_row(task, _link(tenant, environment, name, task.id))
        for task in sim.state.tasks.pending(company_id)
    ]
    path = f"Company('{_quoted(name)}')/AccountantPortalUserTasks"
    return collection(request, sim.settings, path, PortalUserTask, rows, _metadata(request))


@router.get(COMPANY + "/UserTaskSetComplete")
async def user_task_list(
    tenant: str, environment: str, company_name: str, request: Request, sim: SimulatorDep
) -> Response:
    """Page 1170 (User Task List): every task, completed ones included."""
    company_id, name = await _company(sim, request, tenant, environment, company_name)
    path = f"Company('{_quoted(name)}')/UserTaskSetComplete"
    return collection(
        request, sim.settings, path, UserTaskListRow, _list_rows(sim, company_id), _metadata(request)
    )


@router.get(COMPANY + "/UserTaskSetComplete({task_id})")
async def user_task(
    tenant: str, environment: str, company_name: str, task_id: int, request: Request, sim: SimulatorDep
) -> Response:
    """One task of the User Task List."""
    company_id, name = await _company(sim, request, tenant, environment, company_name)
    found = [row for row in _list_rows(sim, company_id) if row.id == task_id]
    if not found:
        raise not_found(f"The user task {task_id} does not exist.")
    path = f"Company('{_quoted(name)}')/UserTaskSetComplete"
    return single(request, path, found[0], _metadata(request))


@router.post(COMPANY + "/UserTaskSetComplete({task_id})/NAV.SetComplete", status_code=204)
async def set_complete(
    tenant: str, environment: str, company_name: str, task_id: int, request: Request, sim: SimulatorDep
) -> Response:
    """Mark the task 100 % complete, completed by the calling application's user."""
    company_id, _ = await _company(sim, request, tenant, environment, company_name)
    try:
        sim.state.tasks.complete(company_id, task_id, sim.settings.client_id.upper())
    except UnknownTaskError:
        raise not_found(f"The user task {task_id} does not exist.") from None
    return Response(status_code=204)


async def _company(
    sim: Simulator, request: Request, tenant: str, environment: str, name: str
) -> tuple[UUID, str]:
    """The company of this tenant named `name` (a `''` in the URL is one quote)."""
    tenant_id = authorised_tenant(sim, request, tenant, environment)
    wanted = name.replace("''", "'")
    company = next((c for c in sim.state.tenant_companies(tenant_id) if c.name == wanted), None)
    if company is None:
        raise not_found(f"Cannot process the request because the company '{wanted}' cannot be found.")
    check_failure(sim, request, company.id)
    await pause(sim, company.id)
    return company.id, company.name


def _list_rows(sim: Simulator, company_id: UUID) -> list[UserTaskListRow]:
    rows = []
    for task in sim.state.tasks.tasks(company_id):
        user = sim.state.tasks.user(company_id, task.assigned_to)
        rows.append(list_row(task, user.user_name if user else ""))
    return rows


def _link(tenant: str, environment: str, company: str, task_id: int) -> str:
    query = urlencode({"company": company, "page": "1171", "filter": f"'ID' IS '{task_id}'"}, quote_via=quote)
    return f"{WEB_CLIENT}/{tenant}/{environment}/?{query}&Mode=Edit"


def _metadata(request: Request) -> str:
    root = ODATA_ROOT.format(**request.path_params)
    return f"{str(request.base_url).rstrip('/')}{root}/$metadata#"


def _quoted(name: str) -> str:
    return name.replace("'", "''")
