"""How documents move the general ledger: balanced postings in LCY, and each document's target.

A document is *recognised* once posted and not cancelled; its *outstanding* amount is what is
still open on the receivables (sales) or payables (purchases) control account, in LCY. The
subledger (ledger.py) posts whatever gets the G/L from a document's current state to its target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .chart import (
    CHECKING,
    EXPENSE_ACCOUNTS,
    PAYABLES,
    PURCHASE_VAT,
    RECEIVABLES,
    REVENUE_ACCOUNTS,
    SALES_VAT,
    ZERO,
    exchange_rate,
    pick,
    to_lcy,
)
from .entities import SalesInvoice
from .entities_purchase import PurchaseInvoice
from .entities_sales import SalesCreditMemo
from .enums import RECOGNISED, GenJournalDocumentType


class UnbalancedPostingError(ValueError):
    """Debits and credits of a posting differ."""


@dataclass(frozen=True)
class Line:
    """One G/L line: a debit or a credit on an account, in LCY."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO

    def __post_init__(self) -> None:
        if self.debit < 0 or self.credit < 0 or (self.debit and self.credit):
            raise UnbalancedPostingError(f"a line is a debit or a credit, never negative: {self}")


@dataclass(frozen=True)
class Posting:
    """A posted document's G/L lines; refuses to exist unbalanced."""

    document_number: str
    document_type: GenJournalDocumentType
    posting_date: date
    description: str
    lines: tuple[Line, ...]

    def __post_init__(self) -> None:
        if sum(line.debit for line in self.lines) != sum(line.credit for line in self.lines):
            raise UnbalancedPostingError(f"{self.document_number} does not balance")


@dataclass(frozen=True)
class Target:
    """Where a document should leave the G/L: recognised or not, and what is still open."""

    recognised: bool
    outstanding: Decimal


@dataclass(frozen=True)
class Rules:
    """A document's postings: recognise, reverse (cancel) and settle (pay or refund)."""

    key: str
    target: Target
    exposure: Decimal  # how recognising moves `outstanding`
    recognise: Posting
    reverse: Callable[[str, date], Posting]
    reversal_series: str
    settle: Callable[[Decimal, str, date], Posting]


Settle = Callable[[Decimal, str, date], Posting]


def debit_credit(number: str, kind: GenJournalDocumentType, day: date, text: str, *lines: Line) -> Posting:
    """A posting without its zero lines."""
    kept = tuple(line for line in lines if line.debit or line.credit)
    return Posting(number, kind, day, text[:100], kept)


def mirrored(posting: Posting, number: str, kind: GenJournalDocumentType, day: date) -> Posting:
    """The reversal of a posting: every debit becomes a credit and vice versa."""
    lines = tuple(Line(line.account, line.credit, line.debit) for line in posting.lines)
    return Posting(number, kind, day, f"Reversal of {posting.document_number}", lines)


def receivable_settlement(text: str) -> Settle:
    """Cash in against receivables (positive) or back out (negative, a refund)."""

    def settle(amount: Decimal, number: str, day: date) -> Posting:
        if amount > 0:
            return debit_credit(
                number, "Payment", day, text, Line(CHECKING, debit=amount), Line(RECEIVABLES, credit=amount)
            )
        return debit_credit(
            number, "Refund", day, text, Line(RECEIVABLES, debit=-amount), Line(CHECKING, credit=-amount)
        )

    return settle


def payable_settlement(text: str) -> Settle:
    """Cash out against payables (positive) or back in (negative)."""

    def settle(amount: Decimal, number: str, day: date) -> Posting:
        if amount > 0:
            return debit_credit(
                number, "Payment", day, text, Line(PAYABLES, debit=amount), Line(CHECKING, credit=amount)
            )
        return debit_credit(
            number, "Refund", day, text, Line(CHECKING, debit=-amount), Line(PAYABLES, credit=-amount)
        )

    return settle


def open_lcy(remaining: Decimal, including: Decimal, including_lcy: Decimal, rate: Decimal) -> Decimal:
    """The LCY still open on a document, consistent with its posted LCY total."""
    if remaining == including:
        return including_lcy
    return min(to_lcy(remaining, rate), including_lcy)


def sales_invoice_rules(invoice: SalesInvoice, rate: Decimal) -> Rules:
    """Receivable debit, revenue and VAT payable credits; payments reduce the receivable."""
    excluding = to_lcy(invoice.total_amount_excluding_tax, rate)
    tax = to_lcy(invoice.total_tax_amount, rate)
    revenue = pick(REVENUE_ACCOUNTS, str(invoice.id))
    text = f"Invoice {invoice.number} {invoice.customer_name}"
    recognise = debit_credit(
        invoice.number,
        "Invoice",
        invoice.posting_date,
        text,
        Line(RECEIVABLES, debit=excluding + tax),
        Line(revenue, credit=excluding),
        Line(SALES_VAT, credit=tax),
    )
    recognised = invoice.status in RECOGNISED
    outstanding = open_lcy(
        invoice.remaining_amount, invoice.total_amount_including_tax, excluding + tax, rate
    )
    return Rules(
        key=f"salesInvoices:{invoice.id}",
        target=Target(recognised, outstanding if recognised else ZERO),
        exposure=excluding + tax,
        recognise=recognise,
        reverse=lambda number, day: mirrored(recognise, number, "Credit_x0020_Memo", day),
        reversal_series="S-CR",
        settle=receivable_settlement(f"Payment {invoice.number} {invoice.customer_name}"),
    )


def sales_credit_memo_rules(memo: SalesCreditMemo, rate: Decimal) -> Rules:
    """Revenue and VAT debits, receivable credit; Paid means refunded. A Corrective memo's
    entries belong to the invoice it cancels, so it posts nothing of its own."""
    excluding = to_lcy(memo.total_amount_excluding_tax, rate)
    tax = to_lcy(memo.total_tax_amount, rate)
    revenue = pick(REVENUE_ACCOUNTS, str(memo.id))
    recognise = debit_credit(
        memo.number,
        "Credit_x0020_Memo",
        memo.posting_date,
        f"Credit memo {memo.number} {memo.customer_name}",
        Line(revenue, debit=excluding),
        Line(SALES_VAT, debit=tax),
        Line(RECEIVABLES, credit=excluding + tax),
    )
    recognised = memo.status in ("Open", "Paid")
    return Rules(
        key=f"salesCreditMemos:{memo.id}",
        target=Target(recognised, -(excluding + tax) if memo.status == "Open" else ZERO),
        exposure=-(excluding + tax),
        recognise=recognise,
        reverse=lambda number, day: mirrored(recognise, number, "Invoice", day),
        reversal_series="S-CINV",
        settle=receivable_settlement(f"Refund {memo.number} {memo.customer_name}"),
    )


def purchase_invoice_rules(invoice: PurchaseInvoice, rate: Decimal) -> Rules:
    """Expense and purchase VAT debits, payables credit; Open is unpaid, Paid settled in full."""
    excluding = to_lcy(invoice.total_amount_excluding_tax, rate)
    tax = to_lcy(invoice.total_tax_amount, rate)
    expense = pick(EXPENSE_ACCOUNTS, str(invoice.vendor_id))
    recognise = debit_credit(
        invoice.number,
        "Invoice",
        invoice.posting_date,
        f"Invoice {invoice.vendor_invoice_number} {invoice.vendor_name}",
        Line(expense, debit=excluding),
        Line(PURCHASE_VAT, debit=tax),
        Line(PAYABLES, credit=excluding + tax),
    )
    recognised = invoice.status in RECOGNISED
    return Rules(
        key=f"purchaseInvoices:{invoice.id}",
        target=Target(recognised, excluding + tax if invoice.status == "Open" else ZERO),
        exposure=excluding + tax,
        recognise=recognise,
        reverse=lambda number, day: mirrored(recognise, number, "Credit_x0020_Memo", day),
        reversal_series="P-CR",
        settle=payable_settlement(f"Payment {invoice.number} {invoice.vendor_name}"),
    )


def document_rules(document: SalesInvoice | SalesCreditMemo | PurchaseInvoice, currency: str) -> Rules:
    """The posting rules of a document of a company whose local currency is `currency`."""
    rate = exchange_rate(document.currency_code, currency)
    if isinstance(document, SalesInvoice):
        return sales_invoice_rules(document, rate)
    if isinstance(document, SalesCreditMemo):
        return sales_credit_memo_rules(document, rate)
    return purchase_invoice_rules(document, rate)
