"""The Business Central API v2.0 routes: companies and the entity sets of each company."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from .auth import parse_tenant
from .deps import Simulator, SimulatorDep
from .entities import Company, ODataRow
from .entity_sets import COMPANY_ENTITY_SETS
from .odata import (
    BcApiError,
    GarbledAnswerError,
    JsonValue,
    entity_body,
    json_response,
    max_page_size,
    next_page_params,
    parse_query,
    select_rows,
)
from .settings import SimulatorSettings
from .state import SimulatorState, UnknownEntityError
from .truncation import order_truncation

__all__ = ["API_ROOT", "COMPANY_ENTITY_SETS", "router"]

API_ROOT = "/v2.0/{tenant}/{environment}/api/v2.0"
_ERROR_CODES = {429: "Application_TooManyRequests", 503: "Unavailable", 504: "GatewayTimeout"}


def not_found(message: str = "The requested resource was not found.") -> BcApiError:
    """BC's 404."""
    return BcApiError(404, "BadRequest_NotFound", message)


def parse_guid(text: str) -> UUID:
    """A GUID key from the URL; BC's 400 when it is not one."""
    try:
        return UUID(text)
    except ValueError:
        raise BcApiError(400, "BadRequest", f"'{text}' is not a valid GUID.") from None


def authorised_tenant(sim: Simulator, request: Request, tenant: str, environment: str) -> UUID:
    """Check the bearer token and the environment; return the tenant id."""
    tenant_id = parse_tenant(tenant, sim.state.books)
    tenant_id = sim.issuer.authenticate(request.headers.get("authorization"), tenant_id)
    if environment != sim.settings.environment:
        raise not_found(f"The environment '{environment}' was not found.")
    return tenant_id


def authorised_company(sim: Simulator, request: Request, tenant: str, environment: str, company: str) -> UUID:
    """The id of a company of this tenant that is not made to fail, else BC's error."""
    tenant_id = authorised_tenant(sim, request, tenant, environment)
    company_id = parse_guid(company)
    if not sim.state.books.in_tenant(company_id, tenant_id):  # a lookup: this runs on every request
        raise not_found(f"The company '{company}' does not exist.")
    check_failure(sim, request, company_id)
    return company_id


def check_failure(sim: Simulator, request: Request, company_id: UUID) -> None:
    """When the company was made to fail this answer: BC's error, garbage, or the answer cut half-way."""
    fault = sim.state.faults.next_answer(company_id)
    if fault is None:
        return
    if fault.garbage:
        raise GarbledAnswerError()
    if fault.truncated is not None:
        order_truncation(request, fault.truncated)
    if fault.status_code is not None:
        status = fault.status_code
        code = _ERROR_CODES.get(status, "Internal_ServerError")
        retry = {"Retry-After": "1"} if status in (429, 502, 503) else {}
        raise BcApiError(status, code, "The simulator was told to fail this company.", retry)


async def pause(sim: Simulator, company_id: UUID) -> None:
    """Answer late when the company was made slow (a client system under load)."""
    delay = sim.state.faults.delay(company_id)
    if delay > 0:
        await asyncio.sleep(delay)


router = APIRouter(prefix=API_ROOT, tags=["Business Central API v2.0"])


@router.get("/companies")
async def list_companies(tenant: str, environment: str, request: Request, sim: SimulatorDep) -> Response:
    """The companies of the tenant's environment."""
    tenant_id = authorised_tenant(sim, request, tenant, environment)
    rows = sim.state.tenant_companies(tenant_id)
    return collection(request, sim.settings, "companies", Company, rows)


@router.get("/companies({company})")
async def get_company(
    tenant: str, environment: str, company: str, request: Request, sim: SimulatorDep
) -> Response:
    """One company."""
    company_id = authorised_company(sim, request, tenant, environment, company)
    await pause(sim, company_id)
    return single(request, "companies", sim.state.company(company_id))


# Registered before the collection route: `{entity_set}` alone would also match `x(id)`.
@router.get("/companies({company})/{entity_set}({entity_id})")
async def get_entity(
    tenant: str,
    environment: str,
    company: str,
    entity_set: str,
    entity_id: str,
    request: Request,
    sim: SimulatorDep,
) -> Response:
    """One entity of a company's entity set, e.g. `salesInvoices({id})`."""
    company_id = authorised_company(sim, request, tenant, environment, company)
    wanted = str(parse_guid(entity_id))
    await pause(sim, company_id)
    found = [e for e in _rows(sim.state, entity_set, company_id) if e.key() == wanted]
    if not found:
        raise not_found(f"The {entity_set} entity '{entity_id}' does not exist.")
    return single(request, f"companies({company_id})/{entity_set}", found[0])


@router.get("/companies({company})/{entity_set}")
async def list_entities(
    tenant: str,
    environment: str,
    company: str,
    entity_set: str,
    request: Request,
    sim: SimulatorDep,
) -> Response:
    """A company's entity set, e.g. `salesInvoices`, filtered and paged."""
    company_id = authorised_company(sim, request, tenant, environment, company)
    await pause(sim, company_id)
    rows = _rows(sim.state, entity_set, company_id)
    model = COMPANY_ENTITY_SETS[entity_set].model
    return collection(request, sim.settings, f"companies({company_id})/{entity_set}", model, rows)


def collection(
    request: Request,
    settings: SimulatorSettings,
    path: str,
    model: type[ODataRow],
    rows: Sequence[ODataRow],
    metadata: str | None = None,
) -> Response:
    """One page of a collection, with `@odata.nextLink` when more rows remain."""
    query = parse_query(request.query_params, model)
    requested = max_page_size(request.headers.get("prefer"))
    size = min(requested or settings.page_size, settings.page_size)
    window = select_rows(rows, query)
    page = window[:size]
    select = f"({','.join(query.select)})" if query.select else ""
    body: dict[str, JsonValue] = {
        "@odata.context": (metadata or _metadata(request)) + path + select,
        "value": [entity_body(entity, query.select) for entity in page],
    }
    if len(window) > size:
        following = next_page_params(request.query_params, query, page[-1], len(page))
        body["@odata.nextLink"] = str(request.url.replace(query=_urlencode(following)))
    applied = {"Preference-Applied": f"odata.maxpagesize={size}"} if requested else {}
    return json_response(body, headers=applied)


def single(request: Request, path: str, entity: ODataRow, metadata: str | None = None) -> Response:
    """One entity with its `@odata.context`; only `$select` is accepted."""
    query = parse_query(request.query_params, type(entity))
    if query != type(query)(select=query.select):
        raise BcApiError(400, "BadRequest", "Only $select applies to a single entity.")
    context = (metadata or _metadata(request)) + path + "/$entity"
    return json_response({"@odata.context": context, **entity_body(entity, query.select)})


def _rows(state: SimulatorState, entity_set: str, company_id: UUID) -> Sequence[ODataRow]:
    if entity_set not in COMPANY_ENTITY_SETS:
        raise not_found(f"No HTTP resource was found that matches the entity set '{entity_set}'.")
    try:
        return COMPANY_ENTITY_SETS[entity_set].rows(state, company_id)
    except UnknownEntityError:
        raise not_found() from None


def _metadata(request: Request) -> str:
    root = API_ROOT.format(**request.path_params)
    return f"{str(request.base_url).rstrip('/')}{root}/$metadata#"


def _urlencode(params: Mapping[str, str]) -> str:
    return urlencode(params, quote_via=quote, safe="$:,'")
