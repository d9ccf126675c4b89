"""The dashboard figures beyond overdue sales: open documents, purchases due, overdue purchases, cash."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.aggregator.figures import (
    cash,
    open_sales_documents,
    overdue_purchases,
    purchase_invoices_due_next_week,
    taxes_due,
)
from shared.money import CurrencyTotal
from shared.records import SalesInvoiceStatus
from tests.builders import (
    TODAY,
    aged_balance,
    ledger_account,
    purchase_invoice,
    sales_document,
    sales_invoice,
)


def gbp(amount: str, count: int) -> CurrencyTotal:
    return CurrencyTotal(currency="GBP", amount=Decimal(amount), count=count)


def test_open_sales_documents_count_live_quotes_orders_credit_memos_and_unposted_invoices() -> None:
    documents = [
        sales_document("quote", status="Draft"),
        sales_document("quote", status="Sent"),
        sales_document("quote", status="Expired"),
        sales_document("order", status="Released"),
        sales_document("credit_memo", status="Open"),
        sales_document("credit_memo", status="Paid"),
    ]
    invoices = [
        sales_invoice(status=SalesInvoiceStatus.DRAFT),
        sales_invoice(status=SalesInvoiceStatus.IN_REVIEW),
        sales_invoice(status=SalesInvoiceStatus.OPEN),
    ]
    counts = open_sales_documents(invoices, documents)
    assert (counts.quotes, counts.orders, counts.credit_memos, counts.draft_invoices) == (2, 1, 1, 2)
    assert counts.total == 6


def test_purchase_invoice_due_today_or_within_seven_days_is_due_next_week() -> None:
    due = [
        purchase_invoice(due_date=TODAY, total_amount=Decimal("1.00")),
        purchase_invoice(due_date=date(2026, 12, 2), total_amount=Decimal("2.00")),
    ]
    not_due = [
        purchase_invoice(due_date=date(2026, 12, 3)),
        purchase_invoice(due_date=date(2026, 11, 24)),
        purchase_invoice(due_date=TODAY, status=SalesInvoiceStatus.PAID),
        purchase_invoice(due_date=None),
    ]
    assert purchase_invoices_due_next_week([*due, *not_due], TODAY) == (gbp("3.00", 2),)


def test_purchases_due_next_week_are_kept_per_currency() -> None:
    invoices = [purchase_invoice(currency="EUR"), purchase_invoice(currency="GBP")]
    assert [t.currency for t in purchase_invoices_due_next_week(invoices, TODAY)] == ["EUR", "GBP"]


def test_overdue_purchases_are_balance_due_minus_the_current_part() -> None:
    vendors = [
        aged_balance(balance_due=Decimal("300.00"), current_amount=Decimal("100.00")),
        aged_balance(number="V-2", balance_due=Decimal("50.00"), current_amount=Decimal("50.00")),
        aged_balance(number="V-3", currency="USD", balance_due=Decimal("10.00"), current_amount=Decimal(0)),
    ]
    assert overdue_purchases(vendors) == (
        gbp("200.00", 1),
        CurrencyTotal(currency="USD", amount=Decimal("10.00"), count=1),
    )


def test_cash_is_the_balance_of_posting_cash_accounts_only() -> None:
    accounts = [
        ledger_account(balance=Decimal("1000.00")),
        ledger_account(number="10200", sub_category="Cash and cash equivalents", balance=Decimal("-50.25")),
        ledger_account(number="10000", posting=False, balance=Decimal("949.75")),
        ledger_account(number="13000", sub_category="Accounts Receivable", balance=Decimal("500.00")),
        ledger_account(
            number="20000", category="Liabilities", sub_category="Cash advances", balance=Decimal(9)
        ),
    ]
    assert cash(accounts) == (gbp("949.75", 2),)


def test_company_without_cash_accounts_has_no_cash_figure() -> None:
    assert cash([ledger_account(sub_category="Inventory")]) == ()


def test_taxes_due_are_the_credit_balance_of_tax_payable_accounts() -> None:
    accounts = [
        ledger_account(category="Liabilities", sub_category="Taxes Payable", balance=Decimal("-420.00")),
        ledger_account(category="Liabilities", sub_category="VAT payable", balance=Decimal("-80.00")),
        ledger_account(category="Liabilities", sub_category="Accounts Payable", balance=Decimal("-999.00")),
        ledger_account(category="Assets", sub_category="Current Assets", balance=Decimal("50.00")),
    ]
    assert taxes_due(accounts) == (gbp("500.00", 2),)
