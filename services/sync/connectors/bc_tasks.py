"""Business Central user tasks: the ODataV4 pages the Company Hub reads, mapped to ClientUserTask.

`AccountantPortalUserTasks` (page 1316) lists the pending tasks (BC hides completed ones, which is
how a completion in the client's system is noticed); `UserTaskSetComplete({ID})/NAV.SetComplete`
completes one. Page fields are BC's (`Due_DateTime`, `Assigned_To`), not API v2.0 camelCase.
Pure except for the URLs; the connector does the HTTP.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.sync.connectors.bc_mapping import UNSET_DATE, normalise_enum
from shared.records import ClientUserTask, TaskPriority

PORTAL_TASKS = "AccountantPortalUserTasks"
_PRIORITIES: dict[str, TaskPriority] = {"Low": "low", "Normal": "normal", "High": "high"}


def odata_root(api_base_url: str, tenant: str, environment: str, company_name: str) -> str:
    """`.../v2.0/{tenant}/{environment}/ODataV4/Company('{name}')` (a quote in the name doubled)."""
    name = quote(company_name.replace("'", "''"), safe="")
    return f"{api_base_url}/v2.0/{tenant}/{environment}/ODataV4/Company('{name}')"


def set_complete_path(remote_id: str) -> str:
    """The bound action that completes one task."""
    return f"UserTaskSetComplete({int(remote_id)})/NAV.SetComplete"


def client_user_task(e: dict[str, Any], user_emails: dict[str, str], time_zone: str) -> ClientUserTask:
    """A row of `AccountantPortalUserTasks`; the assignee is a work email when the user is known."""
    assigned = str(e.get("Assigned_To", "")).lower()
    return ClientUserTask(
        remote_id=str(e["ID"]),
        title=str(e.get("Title") or "").strip() or "(untitled)",
        description=str(e.get("Description") or ""),
        assignee=user_emails.get(assigned, f"bc-user:{assigned}").strip().lower(),
        created_by=str(e.get("Created_By_Name") or ""),
        created_at=_moment(e.get("Created_DateTime")) or datetime.fromisoformat("1900-01-01T00:00:00+00:00"),
        start_date=_local_date(e.get("Start_DateTime"), time_zone),
        due_date=_local_date(e.get("Due_DateTime"), time_zone),
        priority=_PRIORITIES.get(normalise_enum(e.get("Priority")), "normal"),
        percent_complete=min(max(int(e.get("Percent_Complete") or 0), 0), 100),
        link=str(e["Link"]) if e.get("Link") else None,
    )


def _moment(value: object) -> datetime | None:
    text = str(value or "")
    if not text or text.startswith(UNSET_DATE):
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _local_date(value: object, time_zone: str) -> date | None:
    """BC stores a due moment in UTC; the hub's due date is that moment's date in the company's zone."""
    moment = _moment(value)
    if moment is None:
        return None
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).date()
