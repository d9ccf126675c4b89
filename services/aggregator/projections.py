"""Pure rules that turn a company's stored state into its dashboard figures. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from services.aggregator import figures
from services.aggregator.details import CompanyDetails, company_details
from services.aggregator.figures import OpenSalesDocuments
from services.aggregator.records import CompanyRecords
from shared.dates import company_today
from shared.ids import AccountantId, CompanyId
from shared.money import CurrencyTotal
from shared.records import UserTask


@dataclass(frozen=True)
class CompanyState:
    """Everything stored about one company that its figures derive from."""

    company_id: CompanyId
    client_name: str | None = None
    company_name: str | None = None
    time_zone: str = "UTC"
    web_url: str | None = None
    last_synced_at: datetime | None = None
    last_sync_error: str | None = None
    records: CompanyRecords = field(default_factory=CompanyRecords)
    granted_to: frozenset[AccountantId] = field(default_factory=frozenset)
    revoked_from: frozenset[AccountantId] = field(default_factory=frozenset)
    tasks: tuple[UserTask, ...] = ()


@dataclass(frozen=True)
class CompanyFigures:
    """A company's dashboard figures as of a date in its own time zone."""

    company_id: CompanyId
    as_of: date
    time_zone: str
    client_name: str | None
    company_name: str | None
    web_url: str | None
    overdue_sales: tuple[CurrencyTotal, ...]
    open_sales_documents: OpenSalesDocuments
    purchase_due_next_week: tuple[CurrencyTotal, ...]
    overdue_purchases: tuple[CurrencyTotal, ...]
    cash: tuple[CurrencyTotal, ...]
    taxes_due: tuple[CurrencyTotal, ...]
    details: CompanyDetails
    last_synced_at: datetime | None
    last_sync_error: str | None
    granted_to: frozenset[AccountantId]
    revoked_from: frozenset[AccountantId] = frozenset()
    tasks: tuple[UserTask, ...] = ()


@dataclass(frozen=True)
class FigureDate:
    """The date a company's stored figures were derived for, and the company's time zone."""

    company_id: CompanyId
    time_zone: str
    as_of: str


def derive_figures(state: CompanyState, now: datetime) -> CompanyFigures:
    """All of a company's figures from its state, as of `now` in the company's time zone."""
    today = company_today(state.time_zone, now)
    records = state.records
    return CompanyFigures(
        company_id=state.company_id,
        as_of=today,
        time_zone=state.time_zone,
        client_name=state.client_name,
        company_name=state.company_name,
        web_url=state.web_url,
        overdue_sales=figures.overdue_sales(records.sales_invoices, today),
        open_sales_documents=figures.open_sales_documents(records.sales_invoices, records.sales_documents),
        purchase_due_next_week=figures.purchase_invoices_due_next_week(records.purchase_invoices, today),
        overdue_purchases=figures.overdue_purchases(records.aged_payables),
        cash=figures.cash(records.accounts),
        taxes_due=figures.taxes_due(records.accounts),
        details=company_details(records, today),
        last_synced_at=state.last_synced_at,
        last_sync_error=state.last_sync_error,
        granted_to=state.granted_to,
        revoked_from=state.revoked_from,
        tasks=state.tasks,
    )


def day_has_turned(figures: FigureDate, now: datetime) -> bool:
    """True when the company's today is later than the date its figures were derived for."""
    return company_today(figures.time_zone, now).isoformat() > figures.as_of
