"""`vendors` and `purchaseInvoices` as BC API v2.0 serves them (a subset of their properties)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Self
from uuid import UUID

from pydantic import model_validator

from .entities import BcEntity
from .enums import DocumentStatus, VendorBlocked


def check_totals(excluding: Decimal, tax: Decimal, including: Decimal) -> None:
    """BC's invariant on document totals."""
    if excluding + tax != including:
        raise ValueError("totalAmountIncludingTax must equal totalAmountExcludingTax + totalTaxAmount")
    if excluding < 0 or tax < 0:
        raise ValueError("document totals must not be negative")


class Vendor(BcEntity):
    """`vendors`; `balance` is what the company owes the vendor in LCY (a FlowField in BC)."""

    entity_type: ClassVar[str] = "vendor"
    watermark: ClassVar[str | None] = "last_modified_date_time"

    number: str
    display_name: str
    address_line1: str
    address_line2: str = ""
    city: str
    state: str = ""
    country: str
    postal_code: str
    phone_number: str
    email: str
    website: str = ""
    tax_registration_number: str
    currency_code: str
    irs1099_code: str = ""
    tax_liable: bool = True
    blocked: VendorBlocked = "_x0020_"
    balance: Decimal = Decimal("0.00")
    last_modified_date_time: datetime


class PurchaseInvoice(BcEntity):
    """`purchaseInvoices`: no remainingAmount in v2.0 — Open is unpaid, Paid is settled in full."""

    entity_type: ClassVar[str] = "purchaseInvoice"
    watermark: ClassVar[str | None] = "last_modified_date_time"

    number: str
    invoice_date: date
    posting_date: date
    due_date: date
    vendor_invoice_number: str
    vendor_id: UUID
    vendor_number: str
    vendor_name: str
    pay_to_name: str
    pay_to_vendor_id: UUID
    pay_to_vendor_number: str
    currency_code: str
    prices_include_tax: bool = False
    discount_amount: Decimal = Decimal("0")
    discount_applied_before_tax: bool = False
    total_amount_excluding_tax: Decimal
    total_tax_amount: Decimal
    total_amount_including_tax: Decimal
    status: DocumentStatus
    last_modified_date_time: datetime

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_totals(self.total_amount_excluding_tax, self.total_tax_amount, self.total_amount_including_tax)
        if self.due_date < self.invoice_date:
            raise ValueError("dueDate must not precede invoiceDate")
        return self
