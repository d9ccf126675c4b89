"""`api/v2.0/subscriptions`: create (with the validationToken handshake), list, get, renew, delete."""

from __future__ import annotations

import json
import secrets
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from starlette.responses import Response

from .api import API_ROOT, authorised_tenant, collection, single
from .deps import Simulator, SimulatorDep
from .entity_sets import WEBHOOK_RESOURCES
from .odata import BcApiError, bad_request, entity_body, etag, json_response
from .subscriptions import Registered, Resource, Subscription, parse_resource

router = APIRouter(prefix=API_ROOT, tags=["Business Central webhooks"])
ONE = "/subscriptions({key})"


class _Fields(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, extra="ignore")

    notification_url: str = Field(pattern=r"^https?://")
    resource: str = Field(min_length=1)
    client_state: str = Field(default="", max_length=2048)


@router.post("/subscriptions", status_code=201)
async def create_subscription(tenant: str, environment: str, request: Request, sim: SimulatorDep) -> Response:
    """Register a subscription once its notification URL has echoed the validation token."""
    tenant_id = authorised_tenant(sim, request, tenant, environment)
    fields = _validated(await _json(request))
    resource = _resource(sim, tenant_id, fields["resource"])
    client = sim.issuer.principal(request.headers.get("authorization"))
    registered = sim.webhooks.registry.new(
        tenant_id, environment, fields, resource, client.client_id if client else ""
    )
    await _handshake(sim, fields["notification_url"])
    sim.webhooks.registry.put(registered)
    return _answer(request, registered, 201)


@router.get("/subscriptions")
async def list_subscriptions(tenant: str, environment: str, request: Request, sim: SimulatorDep) -> Response:
    """The environment's live subscriptions."""
    tenant_id = authorised_tenant(sim, request, tenant, environment)
    rows = [r.subscription for r in sim.webhooks.registry.of(tenant_id, environment)]
    return collection(request, sim.settings, "subscriptions", Subscription, rows)


@router.get(ONE)
async def get_subscription(
    tenant: str, environment: str, key: str, request: Request, sim: SimulatorDep
) -> Response:
    """One live subscription."""
    tenant_id = authorised_tenant(sim, request, tenant, environment)
    return single(
        request, "subscriptions", sim.webhooks.registry.find(tenant_id, environment, key).subscription
    )


@router.patch(ONE)
async def renew_subscription(
    tenant: str, environment: str, key: str, request: Request, sim: SimulatorDep
) -> Response:
    """Renew for another three days (handshake again); may change URL, resource, clientState."""
    tenant_id = authorised_tenant(sim, request, tenant, environment)
    registered = sim.webhooks.registry.find(tenant_id, environment, key)
    _check_if_match(request, registered.subscription)
    current = registered.subscription.model_dump(include={"notification_url", "resource", "client_state"})
    fields = _validated(current | _validated(await _json(request), partial=True))
    resource = _resource(sim, tenant_id, fields["resource"])
    await _handshake(sim, fields["notification_url"])
    renewed = sim.webhooks.registry.renewed(registered, fields, resource)
    sim.webhooks.registry.put(renewed)
    return _answer(request, renewed, 200)


@router.delete(ONE, status_code=204)
async def delete_subscription(
    tenant: str, environment: str, key: str, request: Request, sim: SimulatorDep
) -> Response:
    """Unsubscribe (If-Match required)."""
    tenant_id = authorised_tenant(sim, request, tenant, environment)
    registered = sim.webhooks.registry.find(tenant_id, environment, key)
    _check_if_match(request, registered.subscription)
    sim.webhooks.registry.remove(registered.subscription.subscription_id)
    return Response(status_code=204)


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise bad_request("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def _validated(body: dict[str, Any], *, partial: bool = False) -> dict[str, str]:
    try:
        if partial:
            return _Fields.model_construct(**body).model_dump(
                exclude_unset=True, include=set(_Fields.model_fields)
            )
        return _Fields.model_validate(body).model_dump()
    except ValidationError as error:
        raise bad_request(f"Invalid subscription: {error.errors(include_url=False)[0]['msg']}.") from None


def _resource(sim: Simulator, tenant_id: UUID, text: str) -> Resource:
    resource = parse_resource(text, WEBHOOK_RESOURCES)
    if resource.company_id not in {c.id for c in sim.state.tenant_companies(tenant_id)}:
        raise bad_request(f"The company of the resource '{text}' does not exist.")
    return resource


async def _handshake(sim: Simulator, url: str) -> None:
    if not await sim.webhooks.http.handshake(url, secrets.token_urlsafe(24)):
        raise bad_request(f"The notification URL '{url}' did not answer the validation token with HTTP 200.")


def _check_if_match(request: Request, subscription: Subscription) -> None:
    wanted = request.headers.get("if-match")
    if wanted is None:
        raise bad_request("Could not validate the client concurrency token: the If-Match header is required.")
    if wanted.strip() not in ("*", etag(subscription)):
        raise BcApiError(412, "Request_EntityChanged", "Another user has already changed the record.")


def _answer(request: Request, registered: Registered, status: int) -> Response:
    root = API_ROOT.format(**request.path_params)
    context = f"{str(request.base_url).rstrip('/')}{root}/$metadata#subscriptions/$entity"
    return json_response({"@odata.context": context, **entity_body(registered.subscription)}, status)
