"""`salesOrders`, `salesQuotes` and `salesCreditMemos` as BC API v2.0 serves them (a subset)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import ClassVar, Self
from uuid import UUID

from pydantic import model_validator

from .entities import BcEntity
from .entities_purchase import check_totals
from .enums import DocumentStatus, SalesOrderStatus, SalesQuoteStatus

UNSET_DATE = date(1, 1, 1)
UNSET_DATETIME = datetime(1, 1, 1, tzinfo=UTC)
NULL_GUID = UUID(int=0)


class SalesDocument(BcEntity):
    """What every sales document has: the customer, the currency and the totals."""

    watermark: ClassVar[str | None] = "last_modified_date_time"

    number: str
    external_document_number: str = ""
    customer_id: UUID
    customer_number: str
    customer_name: str
    currency_code: str
    discount_amount: Decimal = Decimal("0")
    total_amount_excluding_tax: Decimal
    total_tax_amount: Decimal
    total_amount_including_tax: Decimal

    @model_validator(mode="after")
    def _totals(self) -> Self:
        check_totals(self.total_amount_excluding_tax, self.total_tax_amount, self.total_amount_including_tax)
        return self


class SalesOrder(SalesDocument):
    """`salesOrders`: status Draft, In Review or Open (v2.0 has no "Released")."""

    entity_type: ClassVar[str] = "salesOrder"

    order_date: date
    posting_date: date
    requested_delivery_date: date = UNSET_DATE
    prices_include_tax: bool = False
    fully_shipped: bool = False
    status: SalesOrderStatus
    last_modified_date_time: datetime


class SalesQuote(SalesDocument):
    """`salesQuotes`: unset dates are BC's `0001-01-01`."""

    entity_type: ClassVar[str] = "salesQuote"

    document_date: date
    posting_date: date
    due_date: date
    status: SalesQuoteStatus
    sent_date: datetime = UNSET_DATETIME
    valid_until_date: date
    accepted_date: date = UNSET_DATE
    last_modified_date_time: datetime


class SalesCreditMemo(SalesDocument):
    """`salesCreditMemos`; a Corrective one cancels the invoice it names."""

    entity_type: ClassVar[str] = "salesCreditMemo"

    credit_memo_date: date
    posting_date: date
    due_date: date
    prices_include_tax: bool = False
    status: DocumentStatus
    last_modified_date_time: datetime
    invoice_id: UUID = NULL_GUID
    invoice_number: str = ""
