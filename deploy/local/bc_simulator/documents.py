"""Business operations on a company's documents (control endpoints and the mutator use them).

Each goes through SimulatorState, so the document gets a new lastModifiedDateTime, the general
ledger follows it with balanced entries, and webhooks hear of both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from .entities import Customer, ODataRow, SalesInvoice
from .entities_purchase import PurchaseInvoice, Vendor
from .entities_sales import SalesOrder, SalesQuote
from .gen_common import derived_uuid, tax_on
from .state import InvoiceStateError, SimulatorState, as_row

_SUFFIX = re.compile(r"(\d+)$")


@dataclass(frozen=True)
class NewInvoice:
    """What a new invoice needs; the amount is excluding tax, in the party's currency."""

    amount_excluding_tax: Decimal
    invoice_date: date
    due_date: date
    reference: str = ""


def next_number(state: SimulatorState, company_id: UUID, entity_set: str, prefix: str, first: int) -> str:
    """The next number after the highest one of the entity set (BC's No. Series)."""
    numbers = [int(m[1]) for row in state.rows(company_id, entity_set) if (m := _SUFFIX.search(_number(row)))]
    return f"{prefix}{max(numbers, default=first - 1) + 1}"


def _number(row: ODataRow) -> str:
    return str(getattr(row, "number", ""))


def _totals(state: SimulatorState, company_id: UUID, excluding: Decimal) -> dict[str, object]:
    tax = tax_on(excluding, state.simulated(company_id).locale.tax_rate)
    return {
        "total_amount_excluding_tax": excluding,
        "total_tax_amount": tax,
        "total_amount_including_tax": excluding + tax,
    }


def post_sales_invoice(
    state: SimulatorState, company_id: UUID, customer: Customer, new: NewInvoice
) -> SalesInvoice:
    """Post an Open sales invoice to the customer (receivable, revenue and VAT entries)."""
    number = next_number(state, company_id, "salesInvoices", "S-INV-", 103001)
    totals = _totals(state, company_id, new.amount_excluding_tax)
    fields = (
        totals
        | _party(customer)
        | {
            "id": derived_uuid(company_id, "salesInvoices", number),
            "number": number,
            "external_document_number": new.reference,
            "invoice_date": new.invoice_date,
            "posting_date": new.invoice_date,
            "due_date": new.due_date,
            "remaining_amount": totals["total_amount_including_tax"],
            "status": "Open",
        }
    )
    return as_row(SalesInvoice, state.insert(company_id, "salesInvoices", fields))


def post_purchase_invoice(
    state: SimulatorState, company_id: UUID, vendor: Vendor, new: NewInvoice
) -> PurchaseInvoice:
    """Post an Open purchase invoice from the vendor (expense, VAT and payable entries)."""
    number = next_number(state, company_id, "purchaseInvoices", "P-INV-", 108001)
    fields = _totals(state, company_id, new.amount_excluding_tax) | {
        "id": derived_uuid(company_id, "purchaseInvoices", number),
        "number": number,
        "invoice_date": new.invoice_date,
        "posting_date": new.invoice_date,
        "due_date": new.due_date,
        "vendor_invoice_number": new.reference or f"{vendor.display_name[:3].upper()}-{number[-5:]}",
        "vendor_id": vendor.id,
        "vendor_number": vendor.number,
        "vendor_name": vendor.display_name,
        "pay_to_name": vendor.display_name,
        "pay_to_vendor_id": vendor.id,
        "pay_to_vendor_number": vendor.number,
        "currency_code": vendor.currency_code,
        "status": "Open",
    }
    return as_row(PurchaseInvoice, state.insert(company_id, "purchaseInvoices", fields))


def pay_purchase_invoice(state: SimulatorState, company_id: UUID, invoice_id: UUID) -> PurchaseInvoice:
    """Pay an Open purchase invoice in full (payables debit, cash credit)."""
    invoice = as_row(PurchaseInvoice, state.row(company_id, "purchaseInvoices", str(invoice_id)))
    if invoice.status != "Open":
        raise InvoiceStateError(f"only an Open invoice can be paid, not a {invoice.status} one")
    return as_row(
        PurchaseInvoice, state.update(company_id, "purchaseInvoices", str(invoice_id), status="Paid")
    )


def let_purchase_invoice_fall_due(
    state: SimulatorState, company_id: UUID, invoice: PurchaseInvoice
) -> PurchaseInvoice:
    """Its due date passes: due yesterday (not before its invoice date)."""
    due = max(invoice.invoice_date, state.company_today(company_id) - timedelta(days=1))
    return as_row(
        PurchaseInvoice, state.update(company_id, "purchaseInvoices", str(invoice.id), due_date=due)
    )


def new_quote(state: SimulatorState, company_id: UUID, customer: Customer, amount: Decimal) -> SalesQuote:
    """A Sent quote, valid for 30 days."""
    today, number = (
        state.company_today(company_id),
        next_number(state, company_id, "salesQuotes", "S-QUO-", 1001),
    )
    fields = (
        _totals(state, company_id, amount)
        | _party(customer)
        | {
            "id": derived_uuid(company_id, "salesQuotes", number),
            "number": number,
            "document_date": today,
            "posting_date": today,
            "due_date": today + timedelta(days=30),
            "valid_until_date": today + timedelta(days=30),
            "status": "Sent",
            "sent_date": state.clock(),
        }
    )
    return as_row(SalesQuote, state.insert(company_id, "salesQuotes", fields))


def quote_to_order(state: SimulatorState, company_id: UUID, quote: SalesQuote) -> SalesOrder:
    """BC's makeOrder: the quote is deleted and an Open order takes its place."""
    today, number = (
        state.company_today(company_id),
        next_number(state, company_id, "salesOrders", "S-ORD-", 101001),
    )
    state.delete(company_id, "salesQuotes", str(quote.id))
    totals = quote.model_dump(
        include={"total_amount_excluding_tax", "total_tax_amount", "total_amount_including_tax"}
    )
    fields = (
        totals
        | quote.model_dump(include={"customer_id", "customer_number", "customer_name", "currency_code"})
        | {
            "id": derived_uuid(company_id, "salesOrders", number),
            "number": number,
            "order_date": today,
            "posting_date": today,
            "status": "Open",
        }
    )
    return as_row(SalesOrder, state.insert(company_id, "salesOrders", fields))


def _party(customer: Customer) -> dict[str, object]:
    return {
        "customer_id": customer.id,
        "customer_number": customer.number,
        "customer_name": customer.display_name,
        "currency_code": customer.currency_code,
    }
