"""The dashboard figures' rules, one pure function each (rules in ../shared/BUSINESS_CENTRAL.md).

Money is summed per currency, never across currencies. "Today" is the company's own date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from services.aggregator.records import (
    UNFINISHED_INVOICE,
    is_cash_account,
    is_open_sales_document,
    is_tax_payable_account,
)
from shared.money import CurrencyTotal, Money, totals_by_currency
from shared.records import AgedBalance, LedgerAccount, PurchaseInvoice, SalesDocument, SalesInvoice
from shared.records import SalesInvoiceStatus as Status

DUE_SOON_DAYS = 7


class OpenSalesDocuments(BaseModel):
    """Counts of sales documents still in progress."""

    model_config = ConfigDict(frozen=True)

    quotes: int = 0
    orders: int = 0
    credit_memos: int = 0
    draft_invoices: int = 0

    @property
    def total(self) -> int:
        """All of them together (counts, not money, so adding is fine)."""
        return self.quotes + self.orders + self.credit_memos + self.draft_invoices


def is_overdue_sales_invoice(invoice: SalesInvoice, today: date) -> bool:
    """Open, something left to pay, and due before today (due today is not overdue yet)."""
    return (
        invoice.status is Status.OPEN
        and invoice.due_date is not None
        and invoice.due_date < today
        and invoice.remaining_amount > 0
    )


def overdue_sales(invoices: Iterable[SalesInvoice], today: date) -> tuple[CurrencyTotal, ...]:
    """Overdue sales invoices: remaining amount and count, per currency."""
    return _totals(
        Money(amount=i.remaining_amount, currency=i.currency)
        for i in invoices
        if is_overdue_sales_invoice(i, today)
    )


def open_sales_documents(
    invoices: Iterable[SalesInvoice], documents: Iterable[SalesDocument]
) -> OpenSalesDocuments:
    """Quotes not expired, orders, credit memos not settled, and invoices not yet posted."""
    counts = {"quote": 0, "order": 0, "credit_memo": 0}
    for document in documents:
        if is_open_sales_document(document):
            counts[document.kind] += 1
    drafts = sum(1 for i in invoices if i.status in UNFINISHED_INVOICE)
    return OpenSalesDocuments(
        quotes=counts["quote"],
        orders=counts["order"],
        credit_memos=counts["credit_memo"],
        draft_invoices=drafts,
    )


def purchase_invoices_due_next_week(
    invoices: Iterable[PurchaseInvoice], today: date
) -> tuple[CurrencyTotal, ...]:
    """Open purchase invoices due from today to seven days ahead; v2.0 has no remaining amount,
    so the amount is the invoice total including tax."""
    last = today + timedelta(days=DUE_SOON_DAYS)
    return _totals(
        Money(amount=i.total_amount, currency=i.currency)
        for i in invoices
        if i.status is Status.OPEN and i.due_date is not None and today <= i.due_date <= last
    )


def overdue_purchases(vendors: Iterable[AgedBalance]) -> tuple[CurrencyTotal, ...]:
    """From the aged payables report: balance due minus the current (not yet due) part, per vendor."""
    return _totals(
        Money(amount=v.balance_due - v.current_amount, currency=v.currency)
        for v in vendors
        if v.balance_due - v.current_amount > 0
    )


def cash(accounts: Iterable[LedgerAccount]) -> tuple[CurrencyTotal, ...]:
    """Balance of the cash accounts (count = number of cash accounts), per currency."""
    return _totals(Money(amount=a.balance, currency=a.currency) for a in accounts if is_cash_account(a))


def taxes_due(accounts: Iterable[LedgerAccount]) -> tuple[CurrencyTotal, ...]:
    """The credit balance of tax-payable accounts (a liability's balance is negative in BC's netChange,
    so it is negated); count = accounts. Input VAT to recover is not netted: v2.0 doesn't mark it."""
    return _totals(
        Money(amount=-a.balance, currency=a.currency) for a in accounts if is_tax_payable_account(a)
    )


def _totals(amounts: Iterable[Money]) -> tuple[CurrencyTotal, ...]:
    return tuple(totals_by_currency(amounts))
