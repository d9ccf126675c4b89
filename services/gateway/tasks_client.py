"""Forwarding task commands to the tasks service's internal API, with the caller's identity."""

from __future__ import annotations

from typing import Any

import httpx
import structlog
from fastapi import HTTPException, status
from fastapi.exceptions import RequestValidationError

from shared.ids import AccountantId

log = structlog.get_logger()
CALLER_HEADER = "X-Hub-Accountant"
NOT_FOUND = "No such task or company among yours: check the id on your dashboard or task list."


class TasksClient:
    """Calls the tasks service; its answers become the gateway's (404, 409, 422 naming the field)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def send(
        self, method: str, path: str, caller: AccountantId, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """One command as `caller`; the task as the tasks service returns it."""
        try:
            response = await self._http.request(
                method, f"/internal/v1{path}", json=body, headers={CALLER_HEADER: caller}
            )
        except httpx.HTTPError:
            log.warning("tasks_service_unreachable", path=path, exc_info=True)
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                detail="The tasks service did not answer; try again shortly.",
            ) from None
        if response.status_code == 404:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
        if response.status_code == 409:
            raise HTTPException(
                status.HTTP_409_CONFLICT, detail="The task kept changing; read it again and retry."
            )
        if response.status_code == 422:
            raise RequestValidationError(_errors(response))
        if response.is_error:
            log.warning("tasks_service_failed", path=path, status=response.status_code)
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, detail="The tasks service failed; try again shortly."
            )
        task: dict[str, Any] = response.json()
        return task


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    detail = response.json().get("detail")
    if isinstance(detail, list):
        return [e for e in detail if isinstance(e, dict)]
    return [{"loc": ["body"], "msg": str(detail), "type": "value_error"}]
