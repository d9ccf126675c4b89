"""The client's records as the hub needs them: normalised at the connector, typed, exact money."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class SalesInvoiceStatus(StrEnum):
    """Business Central's sales invoice statuses, normalised at the connector."""

    DRAFT = "Draft"
    IN_REVIEW = "In Review"
    OPEN = "Open"
    PAID = "Paid"
    CANCELED = "Canceled"
    CORRECTIVE = "Corrective"
    UNSET = " "


class SalesInvoice(_Frozen):
    """A sales invoice as the hub needs it; amounts in the document's currency."""

    id: str
    number: str
    customer_number: str = ""
    due_date: date | None = None
    status: SalesInvoiceStatus
    currency: str = Field(min_length=3, max_length=3)
    total_amount: Decimal
    remaining_amount: Decimal
    last_modified_at: AwareDatetime
    web_url: str | None = Field(default=None, description="deep link to the record in the client's system")


class CompanyProfile(_Frozen):
    """A client company as found in the client's system."""

    client_id: str = Field(description="the connection (tenant + environment) the company belongs to")
    client_name: str
    company_name: str
    time_zone: str = "UTC"
    web_url: str | None = None


PurchaseInvoiceStatus = SalesInvoiceStatus
"""Purchase invoices use the same statuses as sales invoices in API v2.0."""


class PurchaseInvoice(_Frozen):
    """A purchase invoice; v2.0 has no remaining amount, so the total is what is due."""

    id: str
    number: str
    vendor_number: str = ""
    due_date: date | None = None
    status: SalesInvoiceStatus
    currency: str = Field(min_length=3, max_length=3)
    total_amount: Decimal
    last_modified_at: AwareDatetime
    web_url: str | None = None


SalesDocumentKind = Literal["quote", "order", "credit_memo"]


class SalesDocument(_Frozen):
    """A sales quote, order or credit memo; `status` is BC's text, normalised (no stray spaces)."""

    kind: SalesDocumentKind
    id: str
    number: str
    status: str
    currency: str = Field(min_length=3, max_length=3)
    total_amount: Decimal
    last_modified_at: AwareDatetime
    web_url: str | None = None


class LedgerAccount(_Frozen):
    """A G/L account with its balance (BC's netChange) in the company's local currency."""

    id: str
    number: str
    name: str
    category: str
    sub_category: str = ""
    posting: bool = Field(description="accountType Posting (not a heading or total)")
    balance: Decimal
    currency: str = Field(min_length=3, max_length=3)


class AgedBalance(_Frozen):
    """One vendor's (or customer's) line of an aged report, in one currency."""

    number: str
    name: str = ""
    currency: str = Field(min_length=3, max_length=3)
    balance_due: Decimal
    current_amount: Decimal
    period1_amount: Decimal | None = Field(default=None, description="1-30 days overdue (None: not reported)")
    period2_amount: Decimal | None = Field(default=None, description="31-60 days overdue")
    period3_amount: Decimal | None = Field(default=None, description="over 60 days overdue")


class LedgerEntry(_Frozen):
    """One posted G/L entry (append-only; its entry number never changes), in the local currency."""

    id: str
    entry_number: int = Field(ge=1)
    account_number: str
    posting_date: date
    debit_amount: Decimal
    credit_amount: Decimal
    last_modified_at: AwareDatetime


TaskPriority = Literal["low", "normal", "high"]
TaskStatus = Literal["open", "in_progress", "done"]
TaskSource = Literal["hub", "client_system"]


class UserTask(_Frozen):
    """A user task: created in the hub, or merged from the client's system (`source`)."""

    id: str
    company_id: str
    title: str = Field(min_length=1, max_length=250)
    description: str = Field(default="", max_length=4000)
    assignee: str = Field(description="an accountant's work email, or a client-side user ('bc-user:<id>')")
    created_by: str = ""
    created_at: AwareDatetime
    start_date: date | None = None
    due_date: date | None = Field(default=None, description="a date in the company's time zone")
    priority: TaskPriority = "normal"
    status: TaskStatus = "open"
    percent_complete: int = Field(default=0, ge=0, le=100)
    link: str | None = Field(default=None, description="the task in the client's system")
    source: TaskSource = "hub"
    remote_id: str | None = Field(default=None, description="the task's id in the client's system")
    write_back_error: str | None = Field(
        default=None, description="why completing it in the client's system failed (shown on the task)"
    )


class ClientUserTask(_Frozen):
    """A pending user task as the client's system lists it (BC `AccountantPortalUserTasks`)."""

    remote_id: str
    title: str
    description: str = ""
    assignee: str = Field(description="the assignee's work email when known, else 'bc-user:<security id>'")
    created_by: str = ""
    created_at: AwareDatetime
    start_date: date | None = None
    due_date: date | None = None
    priority: TaskPriority = "normal"
    percent_complete: int = Field(default=0, ge=0, le=100)
    link: str | None = None
