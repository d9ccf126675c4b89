"""`accounts`, `generalLedgerEntries` and the aged reports as BC API v2.0 serves them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Self
from uuid import UUID

from pydantic import model_validator

from .entities import BcEntity, ODataRow, WireEntity
from .enums import AccountCategory, AccountType, GenJournalDocumentType


class Account(BcEntity):
    """`accounts`: `netChange` is a FlowField, so posting does not touch lastModifiedDateTime."""

    entity_type: ClassVar[str] = "account"
    watermark: ClassVar[str | None] = "last_modified_date_time"

    number: str
    display_name: str
    category: AccountCategory
    sub_category: str
    blocked: bool = False
    account_type: AccountType
    direct_posting: bool
    net_change: Decimal
    last_modified_date_time: datetime


class GeneralLedgerEntry(BcEntity):
    """`generalLedgerEntries`: one debit or one credit line of a posted document, in LCY."""

    entity_type: ClassVar[str] = "generalLedgerEntry"
    watermark: ClassVar[str | None] = "last_modified_date_time"

    entry_number: int
    posting_date: date
    document_number: str
    document_type: GenJournalDocumentType
    account_id: UUID
    account_number: str
    description: str
    debit_amount: Decimal
    credit_amount: Decimal
    additional_currency_debit_amount: Decimal = Decimal("0")
    additional_currency_credit_amount: Decimal = Decimal("0")
    last_modified_date_time: datetime  # lines come from postings.Line, which refuses negatives


class AgedReportRow(ODataRow):
    """The buckets of an aged report row, in LCY, aged by due date as of `agedAsOfDate`."""

    name: str
    currency_code: str
    balance_due: Decimal
    current_amount: Decimal
    period1_amount: Decimal
    period2_amount: Decimal
    period3_amount: Decimal
    aged_as_of_date: date
    period_length_filter: str = "30D"
    leading: ClassVar[tuple[str, ...]] = ()

    def to_wire(self) -> WireEntity:
        """BC's property order: the customer's (vendor's) id and number first."""
        wire = super().to_wire()
        return {name: wire.pop(name) for name in self.leading} | wire

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        periods = self.current_amount + self.period1_amount + self.period2_amount + self.period3_amount
        if periods != self.balance_due:
            raise ValueError("balanceDue must equal the sum of the periods")
        return self


class AgedAccountsReceivable(AgedReportRow):
    """`agedAccountsReceivables`: one row per customer, keyed by customerId."""

    entity_type: ClassVar[str] = "agedAccountsReceivable"
    key_field: ClassVar[str] = "customer_id"
    leading: ClassVar[tuple[str, ...]] = ("customerId", "customerNumber")

    customer_id: UUID
    customer_number: str


class AgedAccountsPayable(AgedReportRow):
    """`agedAccountsPayables`: one row per vendor, keyed by vendorId."""

    entity_type: ClassVar[str] = "agedAccountsPayable"
    key_field: ClassVar[str] = "vendor_id"
    leading: ClassVar[tuple[str, ...]] = ("vendorId", "vendorNumber")

    vendor_id: UUID
    vendor_number: str
