"""The overdue sales rule: status Open, due before today in the company's zone, per currency."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from services.aggregator.figures import overdue_sales
from shared.dates import company_today
from shared.money import CurrencyTotal
from shared.records import SalesInvoice, SalesInvoiceStatus
from tests.builders import sales_invoice

TODAY = date(2026, 11, 25)


def invoice(
    due: date | None, amount: str = "10.00", currency: str = "GBP", status: str = "Open"
) -> SalesInvoice:
    return sales_invoice(
        due_date=due, remaining_amount=Decimal(amount), currency=currency, status=SalesInvoiceStatus(status)
    )


def test_invoice_due_today_is_not_overdue() -> None:
    assert overdue_sales((invoice(TODAY),), TODAY) == ()


def test_invoice_due_yesterday_is_overdue() -> None:
    assert overdue_sales((invoice(date(2026, 11, 24)),), TODAY) == (
        CurrencyTotal(currency="GBP", amount=Decimal("10.00"), count=1),
    )


def test_paid_invoice_is_not_overdue() -> None:
    assert overdue_sales((invoice(date(2026, 1, 1), status="Paid", amount="0"),), TODAY) == ()


def test_draft_and_cancelled_invoices_are_not_overdue() -> None:
    old = date(2026, 1, 1)
    assert overdue_sales((invoice(old, status="Draft"), invoice(old, status="Canceled")), TODAY) == ()


def test_invoice_without_due_date_is_not_overdue() -> None:
    assert overdue_sales((invoice(None),), TODAY) == ()


def test_two_currencies_are_never_added_together() -> None:
    old = date(2026, 11, 1)
    totals = overdue_sales((invoice(old, "10.10"), invoice(old, "5.05", "EUR"), invoice(old, "0.20")), TODAY)
    assert totals == (
        CurrencyTotal(currency="EUR", amount=Decimal("5.05"), count=1),
        CurrencyTotal(currency="GBP", amount=Decimal("10.30"), count=2),
    )


def test_partially_paid_invoice_counts_only_what_remains() -> None:
    totals = overdue_sales((invoice(date(2026, 11, 1), "33.33"),), TODAY)
    assert totals[0].amount == Decimal("33.33")


def test_today_is_the_date_in_the_companys_time_zone() -> None:
    late_evening_utc = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    assert company_today("Europe/London", late_evening_utc) == date(2026, 11, 25)
    assert company_today("Asia/Tokyo", late_evening_utc) == date(2026, 11, 26)
    assert company_today("America/New_York", late_evening_utc) == date(2026, 11, 25)


def test_unknown_time_zone_falls_back_to_utc() -> None:
    assert company_today("Mars/Olympus", datetime(2026, 11, 25, 23, 30, tzinfo=UTC)) == date(2026, 11, 25)
