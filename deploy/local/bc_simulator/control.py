"""Control endpoints under `/_simulator/` (not part of BC) that tests and the demo drive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from starlette.responses import Response

from .books import SimulatedCompany
from .deps import Simulator, SimulatorDep
from .entities import ODataRow, SalesInvoiceStatus
from .faults import Fault, Truncation
from .odata import entity_body, json_response
from .state import InvoiceStateError, SimulatorState, UnknownEntityError

Amount = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]


class CamelModel(BaseModel):
    """camelCase JSON, snake_case Python; unknown properties refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True, extra="forbid"
    )


class SalesInvoicePatch(CamelModel):
    """Changes to a sales invoice; amounts as decimal strings, never JSON floats."""

    due_date: date | None = None
    status: SalesInvoiceStatus | None = None
    remaining_amount: Amount | None = None


class PaymentRequest(CamelModel):
    """A payment of part of what is open (all of it when absent)."""

    amount: Amount | None = None


class FailRequest(BaseModel):
    """What a company's endpoints answer from now on: an error status, garbage or truncated pages (one
    of them); none of them, or a null body, heals it."""

    model_config = ConfigDict(extra="forbid")

    status_code: int | None = Field(default=None, ge=400, le=599)
    garbage: bool = Field(default=False, description="answer 200 with an HTML page instead of JSON")
    truncated: Truncation | None = Field(
        default=None,
        description="answer 200 JSON cut half-way: 'connection' promises the whole length and drops the "
        "connection part-way (a network cut); 'body' sends the half with a matching length (a proxy)",
    )
    after: int = Field(default=0, ge=0, description="answers served normally before the fault starts")
    times: int | None = Field(
        default=None, ge=1, description="answers spoiled before the company heals itself (null: until healed)"
    )

    @model_validator(mode="after")
    def _one_fault(self) -> FailRequest:
        kinds = [self.status_code is not None, self.garbage, self.truncated is not None]
        if sum(kinds) > 1:
            raise ValueError("give one of status_code, garbage and truncated")
        return self

    def fault(self) -> Fault | None:
        """The fault to inject, or None (heal) when no kind is given."""
        if self.status_code is None and not self.garbage and self.truncated is None:
            return None
        return Fault(self.status_code, self.garbage, self.truncated, self.after, self.times)


class SimulatedCompanyInfo(CamelModel):
    """Where to reach a simulated company, and facts BC does not expose on `companies`."""

    tenant_id: UUID
    tenant_name: str
    environment: str
    company_id: UUID
    name: str
    time_zone: str
    currency_code: str
    failing_status_code: int | None
    token_url: str
    api_url: str


router = APIRouter(prefix="/_simulator", tags=["Simulator control (not BC)"])
INVOICE_PATH = "/companies/{company_id}/salesInvoices/{invoice_id}"


@router.get("/companies")
async def list_companies(request: Request, sim: SimulatorDep) -> list[SimulatedCompanyInfo]:
    """Every simulated company with its tenant, environment, time zone and URLs."""
    return [_info(sim, request, c.company.id) for c in sim.state.books.companies()]


@router.post("/companies/{company_id}/fail")
async def fail_company(
    company_id: UUID,
    request: Request,
    sim: SimulatorDep,
    failure: Annotated[FailRequest | None, Body()] = None,
) -> SimulatedCompanyInfo:
    """Make the company's API answer an error status, garbage or truncated pages (`null` heals it)."""
    with control_errors():
        sim.state.fail_company(company_id, failure.fault() if failure else None)
    return _info(sim, request, company_id)


@router.post(INVOICE_PATH + "/make-overdue")
async def make_overdue(
    company_id: UUID, invoice_id: UUID, sim: SimulatorDep, today: date | None = None
) -> Response:
    """Make the invoice Open, due yesterday (in the company's time zone), not fully paid."""
    with control_errors():
        day = today or sim.state.company_today(company_id)
    return invoice_change(lambda: sim.state.make_overdue(company_id, invoice_id, day))


@router.post(INVOICE_PATH + "/pay")
async def pay(
    company_id: UUID,
    invoice_id: UUID,
    sim: SimulatorDep,
    payment: Annotated[PaymentRequest | None, Body()] = None,
) -> Response:
    """Receive a payment on an Open invoice: in full, or `{"amount": "12.34"}`; posted to the G/L."""
    amount = Decimal(payment.amount) if payment and payment.amount else None
    return invoice_change(lambda: sim.state.pay_sales_invoice(company_id, invoice_id, amount))


@router.patch(INVOICE_PATH)
async def patch_invoice(
    company_id: UUID, invoice_id: UUID, patch: SalesInvoicePatch, sim: SimulatorDep
) -> Response:
    """Change dueDate, status and/or remainingAmount of an invoice."""
    changes: dict[str, object] = patch.model_dump(exclude_unset=True, by_alias=False)
    if patch.remaining_amount is not None:
        changes["remaining_amount"] = Decimal(patch.remaining_amount)
    return invoice_change(lambda: sim.state.update_sales_invoice(company_id, invoice_id, **changes))


@router.delete(INVOICE_PATH, status_code=204)
async def delete_invoice(company_id: UUID, invoice_id: UUID, sim: SimulatorDep) -> Response:
    """Delete a draft invoice, as a user may in BC (a posted one cannot be: 409)."""
    with control_errors():
        sim.state.delete(company_id, "salesInvoices", str(invoice_id))
    return Response(status_code=204)


def invoice_change(change: Callable[[], ODataRow]) -> Response:
    with control_errors():
        return json_response(entity_body(change()))


@contextmanager
def control_errors() -> Iterator[None]:
    """Unknown ids → 404, impossible transitions → 409, invalid results → 422."""
    try:
        yield
    except UnknownEntityError as error:
        raise HTTPException(404, f"unknown {error}") from error
    except InvoiceStateError as error:
        raise HTTPException(409, str(error)) from error
    except ValidationError as error:
        messages = [e["msg"] for e in error.errors(include_url=False)]
        raise HTTPException(422, messages) from error
    except ValueError as error:
        raise HTTPException(422, str(error)) from error


def _simulated(state: SimulatorState, company_id: UUID) -> SimulatedCompany:
    try:
        return state.books.company(company_id)
    except KeyError:
        raise HTTPException(404, f"unknown company {company_id}") from None


def _info(sim: Simulator, request: Request, company_id: UUID) -> SimulatedCompanyInfo:
    company = _simulated(sim.state, company_id)
    tenant = sim.state.books.tenant(company.tenant_id)
    base, environment = str(request.base_url).rstrip("/"), sim.settings.environment
    return SimulatedCompanyInfo(
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        environment=environment,
        company_id=company_id,
        name=company.company.name,
        time_zone=company.locale.time_zone,
        currency_code=company.locale.currency_code,
        failing_status_code=sim.state.failure(company_id),
        token_url=f"{base}/{tenant.id}/oauth2/v2.0/token",
        api_url=f"{base}/v2.0/{tenant.id}/{environment}/api/v2.0/companies({company_id})",
    )
