"""Business Central API v2.0 entities as the simulator serves them, and their wire form."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import ClassVar, Literal, Self, TypeAlias
from uuid import UUID

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel

WireValue: TypeAlias = str | int | bool | Decimal | None
WireEntity: TypeAlias = dict[str, WireValue]

SalesInvoiceStatus = Literal["Draft", "In Review", "Open", "Paid", "Canceled", "Corrective"]


EPOCH = datetime.min.replace(tzinfo=UTC)


class ODataRow(BaseModel):
    """A row of an OData entity set: camelCase on the wire, snake_case in Python, immutable."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, frozen=True, extra="forbid")
    entity_type: ClassVar[str]
    watermark: ClassVar[str | None] = None  # the datetime property BC clients poll changes with
    key_field: ClassVar[str] = "id"

    def key(self) -> str:
        """The entity's key as text (a GUID, or an integer on ODataV4 pages)."""
        return str(getattr(self, self.key_field))

    def to_wire(self) -> WireEntity:
        """The entity's properties as BC writes them: camelCase, ISO dates, Decimal amounts."""
        return {
            name: wire_value(value) for name, value in self.model_dump(by_alias=True, mode="python").items()
        }

    def watermark_value(self) -> datetime:
        """The value of this entity's change-tracking property."""
        value = getattr(self, self.watermark) if self.watermark else None
        if not isinstance(value, datetime):
            raise TypeError(f"{self.entity_type} has no date-time watermark")
        return value

    def order_key(self) -> tuple[datetime, str]:
        """The stable order of a collection: watermark (if any), then key."""
        return (self.watermark_value() if self.watermark else EPOCH), self.key()


class BcEntity(ODataRow):
    """A BC API entity keyed by a GUID `id`."""

    id: UUID


class Company(BcEntity):
    """`companies`: one row per company of a tenant's environment."""

    entity_type: ClassVar[str] = "company"
    watermark: ClassVar[str] = "system_modified_at"

    system_version: str
    name: str
    display_name: str
    business_profile_id: str = ""
    system_created_at: datetime
    system_created_by: UUID
    system_modified_at: datetime
    system_modified_by: UUID


class Customer(BcEntity):
    """`customers`: a subset of BC's properties, enough to name invoices' counterparties."""

    entity_type: ClassVar[str] = "customer"
    watermark: ClassVar[str] = "last_modified_date_time"

    number: str
    display_name: str
    type: Literal["Company", "Person"] = "Company"
    email: str
    currency_code: str
    blocked: Literal[" ", "Ship", "Invoice", "All"] = " "
    last_modified_date_time: datetime


class SalesInvoice(BcEntity):
    """`salesInvoices`: the properties the hub reads, with BC's invariants on amounts."""

    entity_type: ClassVar[str] = "salesInvoice"
    watermark: ClassVar[str] = "last_modified_date_time"

    number: str
    external_document_number: str = ""
    invoice_date: date
    posting_date: date
    due_date: date
    customer_id: UUID
    customer_number: str
    customer_name: str
    currency_code: str
    prices_include_tax: bool = False
    total_amount_excluding_tax: Decimal
    total_tax_amount: Decimal
    total_amount_including_tax: Decimal
    remaining_amount: Decimal
    status: SalesInvoiceStatus
    last_modified_date_time: datetime

    @model_validator(mode="after")
    def _amounts_are_consistent(self) -> Self:
        if not Decimal(0) <= self.remaining_amount <= self.total_amount_including_tax:
            raise ValueError("remainingAmount must lie between 0 and totalAmountIncludingTax")
        if self.status == "Paid" and self.remaining_amount != 0:
            raise ValueError("a Paid invoice has remainingAmount 0")
        if self.due_date < self.invoice_date:
            raise ValueError("dueDate must not precede invoiceDate")
        return self


def format_datetime(value: datetime) -> str:
    """BC's date-time form: UTC, milliseconds, `Z`."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"  # year 1 is BC's "unset"


def wire_value(value: object) -> WireValue:
    """One property value in BC's JSON form; Decimal stays Decimal for the encoder."""
    match value:
        case bool() | int() | str() | Decimal() | None:
            return value
        case datetime():
            return format_datetime(value)
        case date():
            return value.isoformat()
        case UUID():
            return str(value)
    raise TypeError(f"no BC wire form for {type(value).__name__}")
