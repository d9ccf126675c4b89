"""Company details: cash per account, overdue lists with links, and the 13-week forecast per currency."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from services.aggregator.details import company_details, forecast
from services.aggregator.records import CompanyRecords
from shared.records import SalesInvoiceStatus
from tests.builders import TODAY, ledger_account, purchase_invoice, sales_invoice


def test_forecast_starts_from_cash_and_moves_receipts_and_payments_by_due_week() -> None:
    records = CompanyRecords(
        accounts=(ledger_account(balance=Decimal("1000.00")),),
        sales_invoices=(
            sales_invoice(due_date=TODAY - timedelta(days=30), remaining_amount=Decimal("100.00")),
            sales_invoice(due_date=TODAY + timedelta(days=8), remaining_amount=Decimal("50.00")),
        ),
        purchase_invoices=(
            purchase_invoice(due_date=TODAY + timedelta(days=1), total_amount=Decimal("400.00")),
        ),
    )
    (gbp,) = forecast(records, TODAY)
    assert gbp.currency == "GBP"
    assert gbp.opening == Decimal("1000.00")
    assert len(gbp.weeks) == 13
    first, second = gbp.weeks[0], gbp.weeks[1]
    assert (first.receipts, first.payments, first.closing) == (
        Decimal("100.00"),
        Decimal("400.00"),
        Decimal("700.00"),
    )
    assert (second.receipts, second.closing) == (Decimal("50.00"), Decimal("750.00"))
    assert gbp.weeks[-1].closing == Decimal("750.00")
    assert second.week_start == TODAY + timedelta(weeks=1)


def test_forecast_keeps_one_series_per_currency() -> None:
    records = CompanyRecords(
        accounts=(ledger_account(balance=Decimal("10.00")),),
        sales_invoices=(sales_invoice(currency="EUR", remaining_amount=Decimal("5.00"), due_date=TODAY),),
    )
    series = {f.currency: f for f in forecast(records, TODAY)}
    assert set(series) == {"EUR", "GBP"}
    assert series["EUR"].opening == Decimal(0)
    assert series["EUR"].weeks[0].closing == Decimal("5.00")
    assert series["GBP"].weeks[0].closing == Decimal("10.00")


def test_paid_invoices_and_those_beyond_thirteen_weeks_stay_out_of_the_forecast() -> None:
    records = CompanyRecords(
        sales_invoices=(
            sales_invoice(status=SalesInvoiceStatus.PAID, remaining_amount=Decimal(0)),
            sales_invoice(due_date=TODAY + timedelta(weeks=13), remaining_amount=Decimal("9.00")),
        )
    )
    assert all(w.receipts == 0 for f in forecast(records, TODAY) for w in f.weeks)


def test_overdue_lists_are_oldest_first_with_days_overdue_and_links() -> None:
    records = CompanyRecords(
        sales_invoices=(
            sales_invoice(number="S-2", due_date=date(2026, 11, 20), web_url="https://bc.example/S-2"),
            sales_invoice(number="S-1", due_date=date(2026, 11, 1), web_url="https://bc.example/S-1"),
            sales_invoice(number="S-3", due_date=TODAY),
        ),
        purchase_invoices=(purchase_invoice(number="P-1", due_date=date(2026, 11, 24)),),
    )
    details = company_details(records, TODAY)
    assert [(d.number, d.days_overdue) for d in details.overdue_sales_invoices] == [("S-1", 24), ("S-2", 5)]
    assert details.overdue_sales_invoices[0].web_url == "https://bc.example/S-1"
    assert [(d.number, d.days_overdue) for d in details.overdue_purchase_invoices] == [("P-1", 1)]


def test_cash_accounts_list_only_cash_accounts_in_number_order() -> None:
    records = CompanyRecords(
        accounts=(
            ledger_account(number="10200", name="Savings"),
            ledger_account(number="10100", name="Checking"),
            ledger_account(number="13000", sub_category="Accounts Receivable"),
        )
    )
    assert [a.name for a in company_details(records, TODAY).cash_accounts] == ["Checking", "Savings"]
