"""Control endpoints that post documents and payments, and inject slowness (not part of BC)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from fastapi import APIRouter, HTTPException
from pydantic import Field
from starlette.responses import Response

from . import documents
from .control import Amount, CamelModel, control_errors, invoice_change
from .deps import Simulator, SimulatorDep
from .documents import NewInvoice
from .entities import Customer
from .entities_purchase import Vendor
from .odata import entity_body, json_response

Party = TypeVar("Party", Customer, Vendor)
router = APIRouter(prefix="/_simulator/companies/{company_id}", tags=["Simulator control (not BC)"])


class NewSalesInvoiceRequest(CamelModel):
    """A sales invoice to post; every property has a default."""

    customer_number: str | None = None
    amount_excluding_tax: Amount = "1000.00"
    invoice_date: date | None = None
    due_date: date | None = None
    external_document_number: str = ""


class NewPurchaseInvoiceRequest(CamelModel):
    """A purchase invoice to post; every property has a default."""

    vendor_number: str | None = None
    amount_excluding_tax: Amount = "1000.00"
    invoice_date: date | None = None
    due_date: date | None = None
    vendor_invoice_number: str = ""


class UserInfo(CamelModel):
    """A user of the company: `Assigned_To` of a user task is its security id."""

    security_id: UUID
    user_name: str
    full_name: str
    email: str


class SlowRequest(CamelModel):
    """How long the company's endpoints wait before answering (0: not at all)."""

    seconds: float = Field(ge=0, le=600)


@router.post("/salesInvoices", status_code=201)
async def post_sales_invoice(company_id: UUID, new: NewSalesInvoiceRequest, sim: SimulatorDep) -> Response:
    """Post an Open sales invoice (receivable, revenue and VAT entries follow)."""
    with control_errors():
        customers = sim.state.customers(company_id)
        customer = _pick(customers, new.customer_number, "customer")
        invoice = NewInvoice(Decimal(new.amount_excluding_tax), *_dates(sim, company_id, new, 30))
        created = documents.post_sales_invoice(sim.state, company_id, customer, invoice)
    return json_response(entity_body(created), 201)


@router.post("/purchaseInvoices", status_code=201)
async def post_purchase_invoice(
    company_id: UUID, new: NewPurchaseInvoiceRequest, sim: SimulatorDep
) -> Response:
    """Post an Open purchase invoice (expense, VAT and payable entries follow)."""
    with control_errors():
        vendor = _pick(sim.state.typed(company_id, "vendors", Vendor), new.vendor_number, "vendor")
        invoice = NewInvoice(
            Decimal(new.amount_excluding_tax), *_dates(sim, company_id, new, 14), new.vendor_invoice_number
        )
        created = documents.post_purchase_invoice(sim.state, company_id, vendor, invoice)
    return json_response(entity_body(created), 201)


@router.post("/purchaseInvoices/{invoice_id}/pay")
async def pay_purchase_invoice(company_id: UUID, invoice_id: UUID, sim: SimulatorDep) -> Response:
    """Pay an Open purchase invoice in full (payables debit, cash credit)."""
    return invoice_change(lambda: documents.pay_purchase_invoice(sim.state, company_id, invoice_id))


@router.post("/slow")
async def slow(company_id: UUID, request: SlowRequest, sim: SimulatorDep) -> dict[str, float]:
    """Make the company's API and ODataV4 endpoints answer after `seconds`."""
    with control_errors():
        sim.state.company(company_id)
    sim.state.faults.slow(company_id, request.seconds)
    return {"seconds": request.seconds}


@router.get("/users")
async def users(company_id: UUID, sim: SimulatorDep) -> list[UserInfo]:
    """The company's users: the security ids `Assigned_To` of user tasks refers to."""
    with control_errors():
        sim.state.company(company_id)
    return [UserInfo.model_validate(user.model_dump()) for user in sim.state.tasks.users(company_id)]


def _pick(rows: list[Party], number: str | None, kind: str) -> Party:
    found = [row for row in rows if number is None or row.number == number]
    if not found:
        raise HTTPException(404, f"unknown {kind} {number}")
    return found[0]


def _dates(
    sim: Simulator, company_id: UUID, new: NewSalesInvoiceRequest | NewPurchaseInvoiceRequest, days: int
) -> tuple[date, date]:
    invoice_date = new.invoice_date or sim.state.company_today(company_id)
    return invoice_date, new.due_date or invoice_date + timedelta(days=days)
