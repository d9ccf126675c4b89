"""The public API's request and response models (they become the OpenAPI schema)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class SignIn(BaseModel):
    """Work email and password."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=1, max_length=1024)


class SignedIn(BaseModel):
    """The accountant a session or token belongs to."""

    accountant: str


class SessionOut(BaseModel):
    """A bearer token for API clients (browsers also get it as an HttpOnly cookie)."""

    accountant: str
    token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


class CurrencyFigure(BaseModel):
    """An amount and count in one currency. Amounts are exact decimal strings."""

    currency: str
    amount: Decimal
    count: int


class OpenSalesDocuments(BaseModel):
    """Sales documents still in progress."""

    quotes: int = Field(default=0, description="Draft, Sent or Accepted (not Expired)")
    orders: int = 0
    credit_memos: int = Field(default=0, description="Draft, In Review or Open")
    draft_invoices: int = Field(default=0, description="sales invoices not yet posted")
    total: int = 0


class DashboardRow(BaseModel):
    """One client company on the caller's dashboard."""

    company_id: str
    client_name: str = Field(description="empty until the company is first read")
    company_name: str
    overdue_sales: list[CurrencyFigure] | None = Field(
        description="open, due before today, per currency (null when not among `columns`)"
    )
    overdue_sales_count: int
    open_sales_documents: OpenSalesDocuments | None = Field(default_factory=OpenSalesDocuments)
    purchase_due_next_week: list[CurrencyFigure] | None = Field(
        default_factory=list, description="open purchase invoices due today to 7 days ahead (total incl. tax)"
    )
    purchase_due_next_week_count: int = 0
    overdue_purchases: list[CurrencyFigure] | None = Field(
        default_factory=list, description="aged payables: balance due minus the current part, per currency"
    )
    overdue_purchases_count: int = Field(default=0, description="vendors with an overdue balance")
    taxes_due: list[CurrencyFigure] | None = Field(
        default_factory=list,
        description=(
            "credit balance of posting Liabilities accounts whose subcategory names a tax or VAT; "
            "input VAT to recover is not netted (API v2.0 does not mark it)"
        ),
    )
    cash: list[CurrencyFigure] | None = Field(
        default_factory=list, description="balance of posting cash accounts; count = cash accounts"
    )
    my_tasks: int | None = Field(default=0, description="open tasks of this company assigned to the caller")
    my_overdue_tasks: int | None = Field(
        default=0,
        description=(
            "the caller's tasks here that are overdue: not done and due before today in the company's "
            "time zone; a task without a due date is never overdue"
        ),
    )
    as_of: date = Field(description="the company's today the figures were derived for")
    last_synced_at: datetime | None = Field(description="when the figures were last confirmed fresh")
    last_sync_error: str | None = Field(
        description="why the last sync failed; figures are the last good ones"
    )
    web_url: str | None = Field(description="the company in the client's own system")


class DashboardPage(BaseModel):
    """A page of dashboard rows, sorted by client then company."""

    rows: list[DashboardRow]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


class FieldError(BaseModel):
    """One bad input: which field, where it was sent, what is wrong, and the values allowed."""

    field: str = Field(description="the parameter or body field, dotted for nested fields")
    location: str = Field(description="query, path, body or header")
    message: str
    allowed: list[str] | None = Field(default=None, description="the values allowed, for a closed set")


class Problem(BaseModel):
    """An error (RFC 9457 problem details, `application/problem+json`): what went wrong and what to do."""

    type: str = Field(default="about:blank", description="about:blank: the status code says it all")
    title: str = Field(description="the HTTP status phrase")
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="what went wrong and what to do next")
    errors: list[FieldError] | None = Field(default=None, description="each bad field, for 422")


class CashAccountOut(BaseModel):
    """One cash account's balance."""

    number: str
    name: str
    currency: str
    balance: Decimal


class OverdueDocumentOut(BaseModel):
    """An overdue invoice; `web_url` opens it in the client's system."""

    number: str
    party_number: str = Field(description="customer number (sales) or vendor number (purchases)")
    due_date: date
    days_overdue: int
    currency: str
    amount: Decimal = Field(description="remaining amount (sales) or total incl. tax (purchases, v2.0)")
    web_url: str | None


class ForecastWeekOut(BaseModel):
    """One week of the forecast."""

    week_start: date
    receipts: Decimal
    payments: Decimal
    closing: Decimal = Field(description="balance at the end of the week; negative is unfavourable")


class ForecastOut(BaseModel):
    """Cash today plus open receivables minus open payables, week by week, in one currency."""

    currency: str
    opening: Decimal
    weeks: list[ForecastWeekOut]


class CompanyDetailsOut(BaseModel):
    """One company: its dashboard row, cash accounts, overdue lists and 13-week forecast."""

    row: DashboardRow
    cash_accounts: list[CashAccountOut] = Field(default_factory=list)
    overdue_sales_invoices: list[OverdueDocumentOut] = Field(default_factory=list)
    overdue_purchase_invoices: list[OverdueDocumentOut] = Field(default_factory=list)
    forecast: list[ForecastOut] = Field(default_factory=list)
