"""Company details: cash per account, the overdue lists with deep links, a 13-week cash-flow forecast.

Pure functions over a company's records. Each money line keeps its currency; the forecast is one
series per currency (never converted, never added across currencies).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from services.aggregator.figures import is_overdue_sales_invoice
from services.aggregator.records import CompanyRecords, is_cash_account
from shared.records import PurchaseInvoice, SalesInvoice, SalesInvoiceStatus

FORECAST_WEEKS = 13
LIST_LIMIT = 200


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CashAccount(_Frozen):
    """One cash account's balance."""

    number: str
    name: str
    currency: str
    balance: Decimal


class OverdueDocument(_Frozen):
    """An overdue invoice, linking to it in the client's system."""

    number: str
    party_number: str
    due_date: date
    days_overdue: int
    currency: str
    amount: Decimal
    web_url: str | None


class ForecastWeek(_Frozen):
    """One week of the forecast in one currency; `closing` carries over to the next week."""

    week_start: date
    receipts: Decimal
    payments: Decimal
    closing: Decimal


class Forecast(_Frozen):
    """Cash today plus open receivables minus open payables, week by week, in one currency."""

    currency: str
    opening: Decimal
    weeks: tuple[ForecastWeek, ...]


class CompanyDetails(_Frozen):
    """What the company-details pane shows."""

    cash_accounts: tuple[CashAccount, ...] = ()
    overdue_sales_invoices: tuple[OverdueDocument, ...] = ()
    overdue_purchase_invoices: tuple[OverdueDocument, ...] = ()
    forecast: tuple[Forecast, ...] = ()


def company_details(records: CompanyRecords, today: date) -> CompanyDetails:
    """Every detail of one company as of `today` (its own date)."""
    return CompanyDetails(
        cash_accounts=tuple(
            CashAccount(number=a.number, name=a.name, currency=a.currency, balance=a.balance)
            for a in sorted(records.accounts, key=lambda a: a.number)
            if is_cash_account(a)
        ),
        overdue_sales_invoices=_overdue_sales(records.sales_invoices, today),
        overdue_purchase_invoices=_overdue_purchases(records.purchase_invoices, today),
        forecast=forecast(records, today),
    )


def forecast(records: CompanyRecords, today: date, weeks: int = FORECAST_WEEKS) -> tuple[Forecast, ...]:
    """Per currency: cash today, then receipts (open sales, remaining) and payments (open purchases,
    total) by due week; anything already overdue falls in the first week."""
    opening: dict[str, Decimal] = {}
    for account in records.accounts:
        if is_cash_account(account):
            opening[account.currency] = opening.get(account.currency, Decimal(0)) + account.balance
    receipts = _by_week(
        ((i.currency, i.due_date, i.remaining_amount) for i in records.sales_invoices if _open(i)),
        today,
        weeks,
    )
    payments = _by_week(
        ((i.currency, i.due_date, i.total_amount) for i in records.purchase_invoices if _open(i)),
        today,
        weeks,
    )
    currencies = sorted(opening.keys() | receipts.keys() | payments.keys())
    return tuple(_series(c, opening.get(c, Decimal(0)), receipts, payments, today, weeks) for c in currencies)


def _series(
    currency: str,
    opening: Decimal,
    receipts: dict[str, list[Decimal]],
    payments: dict[str, list[Decimal]],
    today: date,
    weeks: int,
) -> Forecast:
    zero = [Decimal(0)] * weeks
    balance = opening
    series = []
    for week, (received, paid) in enumerate(
        zip(receipts.get(currency, zero), payments.get(currency, zero), strict=True)
    ):
        balance = balance + received - paid
        series.append(
            ForecastWeek(
                week_start=today + timedelta(weeks=week), receipts=received, payments=paid, closing=balance
            )
        )
    return Forecast(currency=currency, opening=opening, weeks=tuple(series))


def _by_week(
    lines: Iterable[tuple[str, date | None, Decimal]], today: date, weeks: int
) -> dict[str, list[Decimal]]:
    buckets: dict[str, list[Decimal]] = {}
    for currency, due, amount in lines:
        week = 0 if due is None or due < today else (due - today).days // 7
        if week < weeks:
            buckets.setdefault(currency, [Decimal(0)] * weeks)[week] += amount
    return buckets


def _open(invoice: SalesInvoice | PurchaseInvoice) -> bool:
    return invoice.status is SalesInvoiceStatus.OPEN


def _overdue_sales(invoices: Iterable[SalesInvoice], today: date) -> tuple[OverdueDocument, ...]:
    overdue = [i for i in invoices if is_overdue_sales_invoice(i, today)]
    return tuple(
        _document(i.number, i.customer_number, i.due_date, i.currency, i.remaining_amount, i.web_url, today)
        for i in sorted(overdue, key=lambda i: (i.due_date or today, i.number))[:LIST_LIMIT]
    )


def _overdue_purchases(invoices: Iterable[PurchaseInvoice], today: date) -> tuple[OverdueDocument, ...]:
    overdue = [i for i in invoices if _open(i) and i.due_date is not None and i.due_date < today]
    return tuple(
        _document(i.number, i.vendor_number, i.due_date, i.currency, i.total_amount, i.web_url, today)
        for i in sorted(overdue, key=lambda i: (i.due_date or today, i.number))[:LIST_LIMIT]
    )


def _document(
    number: str, party: str, due: date | None, currency: str, amount: Decimal, url: str | None, today: date
) -> OverdueDocument:
    due_date = due or today
    return OverdueDocument(
        number=number,
        party_number=party,
        due_date=due_date,
        days_overdue=(today - due_date).days,
        currency=currency,
        amount=amount,
        web_url=url,
    )
