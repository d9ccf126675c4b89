"""Business Central's change notifications in: the validationToken handshake, then a sync of each
notified company, in the background, through the refresh path (the company's lock, so webhook,
poll and refresh passes never overlap).

BC posts `{"value": [{subscriptionId, clientState, resource, changeType, ...}]}`; sync answers 202
at once. A notification whose clientState is not ours is refused (403), which also makes BC delete
that subscription; a body that is not a notification is a 400 naming the field.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable

import structlog
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic.alias_generators import to_camel
from starlette.responses import JSONResponse, PlainTextResponse, Response

from services.sync.notified import Notified
from shared.commands import RefreshRequested
from shared.ids import CompanyId

log = structlog.get_logger()
PATH = "/webhooks/business-central"
_COMPANY = re.compile(r"companies\((?P<id>[0-9a-fA-F-]{36})\)")
_ENTITY_SET = re.compile(r"companies\([0-9a-fA-F-]{36}\)/(?P<entity_set>[A-Za-z]+)")
"""A notice names the entity set, and often the record: `.../companies(<id>)/salesInvoices(<id>)`."""
DELETED = "deleted"
"""BC's changeType for a record that is gone (the others: created, updated, collection)."""


class Notice(BaseModel):
    """One change notice, as BC sends it."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, extra="ignore")

    subscription_id: str = Field(min_length=1)
    client_state: str
    resource: str = Field(min_length=1)
    change_type: str = Field(min_length=1)


class Notifications(BaseModel):
    """A notification POST: every notice BC batched for this URL."""

    value: list[Notice] = Field(min_length=1)


class WebhookSyncs:
    """Runs one background sync per notified company, of what was notified; notices arriving while a
    company's sync runs coalesce into one more pass after it, of everything they named (so no change
    is missed, and none is pulled twice)."""

    def __init__(self, refresh: Callable[[RefreshRequested, Notified], Awaitable[None]]) -> None:
        self._refresh = refresh
        self._running: set[CompanyId] = set()
        self._again: dict[CompanyId, Notified] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def request(self, company_id: CompanyId, correlation_id: str, notified: Notified) -> None:
        """Sync the company soon, pulling what was `notified`; never blocks the caller."""
        if company_id in self._running:
            self._again[company_id] = self._again.get(company_id, Notified()) | notified
            return
        self._running.add(company_id)
        task = asyncio.get_running_loop().create_task(self._run(company_id, correlation_id, notified))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, company_id: CompanyId, correlation_id: str, notified: Notified) -> None:
        try:
            while True:
                try:
                    await self._refresh(
                        RefreshRequested(company_id=company_id, correlation_id=correlation_id), notified
                    )
                except Exception:
                    log.exception("webhook_sync_failed", company_id=company_id)
                if company_id not in self._again:
                    return
                notified = self._again.pop(company_id)
        finally:
            self._running.discard(company_id)

    async def drain(self) -> None:
        """Wait for the syncs under way (tests; shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def webhook_router(client_state: SecretStr, syncs: WebhookSyncs) -> APIRouter:
    """`POST /webhooks/business-central`: BC's handshake and its change notifications."""
    router = APIRouter(tags=["webhooks"])

    @router.post(PATH, response_model=None)
    async def business_central(
        request: Request, validation_token: str | None = Query(default=None, alias="validationToken")
    ) -> Response:
        """Echo a validation token (text/plain); otherwise accept notices and sync their companies."""
        if validation_token is not None:
            return PlainTextResponse(validation_token)
        try:
            notifications = Notifications.model_validate_json(await request.body())
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            return _problem(400, f"not a Business Central notification: {where}: {first['msg']}", where)
        companies: dict[CompanyId, tuple[str, Notified]] = {}
        secret = client_state.get_secret_value()
        for index, notice in enumerate(notifications.value):
            if not secret or not secrets.compare_digest(notice.client_state.encode(), secret.encode()):
                log.warning("webhook_client_state_rejected", subscription_id=notice.subscription_id)
                return _problem(
                    403,
                    "clientState does not match SYNC_WEBHOOK_CLIENT_STATE; "
                    "re-create the subscription with the current secret",
                    f"value.{index}.clientState",
                )
            match = _COMPANY.search(notice.resource)
            if match is None:
                return _problem(
                    400, f"resource names no company: {notice.resource!r}", f"value.{index}.resource"
                )
            company_id = CompanyId(match["id"])
            correlation_id, notified = companies.get(
                company_id, (f"webhook:{notice.subscription_id}", Notified())
            )
            companies[company_id] = (correlation_id, notified | _notified(notice))
        for company_id, (correlation_id, notified) in companies.items():
            syncs.request(company_id, correlation_id, notified)
        return Response(status_code=202)

    return router


def _notified(notice: Notice) -> Notified:
    """The entity set a notice's resource names (None when it names none, which makes its pass pull
    everything), and whether it says a record of it was deleted."""
    match = _ENTITY_SET.search(notice.resource)
    if match is None:
        return Notified(None)
    entity_set = frozenset({match["entity_set"]})
    return Notified(entity_set, entity_set if notice.change_type == DELETED else frozenset())


def _problem(status: int, detail: str, field: str) -> JSONResponse:
    body = {"title": "Bad Request" if status == 400 else "Forbidden", "status": status, "detail": detail}
    return JSONResponse(body | {"field": field}, status_code=status, media_type="application/problem+json")
