"""Rows BC computes when asked: accounts' netChange, vendors' balance and the aged reports.

Amounts are in the company's local currency (LCY) and come from the same posting rules as the
general ledger, so the receivables (payables) account balances equal the aged reports' totals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from uuid import UUID

from .chart import ZERO
from .entities import Customer, SalesInvoice
from .entities_ledger import Account, AgedAccountsPayable, AgedAccountsReceivable
from .entities_purchase import PurchaseInvoice, Vendor
from .entities_sales import SalesCreditMemo
from .postings import document_rules
from .state import SimulatorState

PERIOD_DAYS = 30
OpenItem = tuple[date, Decimal]  # due date, amount still open in LCY


def accounts(state: SimulatorState, company_id: UUID) -> list[Account]:
    """The chart of accounts with each account's netChange as posted so far."""
    return state.ledger(company_id).accounts()


def vendors(state: SimulatorState, company_id: UUID) -> list[Vendor]:
    """Vendors with `balance`: what the company owes each of them, in LCY."""
    owed = open_payables(state, company_id)
    return [
        vendor.model_copy(update={"balance": sum((amount for _, amount in owed[vendor.id]), ZERO)})
        for vendor in state.typed(company_id, "vendors", Vendor)
    ]


def open_receivables(state: SimulatorState, company_id: UUID) -> dict[UUID, list[OpenItem]]:
    """Per customer: open invoices (positive) and open credit memos (negative)."""
    currency = state.simulated(company_id).locale.currency_code
    items: dict[UUID, list[OpenItem]] = defaultdict(list)
    documents: list[SalesInvoice | SalesCreditMemo] = [
        *state.typed(company_id, "salesInvoices", SalesInvoice),
        *state.typed(company_id, "salesCreditMemos", SalesCreditMemo),
    ]
    for document in documents:
        outstanding = document_rules(document, currency).target.outstanding
        if outstanding:
            items[document.customer_id].append((document.due_date, outstanding))
    return items


def open_payables(state: SimulatorState, company_id: UUID) -> dict[UUID, list[OpenItem]]:
    """Per vendor: open (unpaid) purchase invoices."""
    currency = state.simulated(company_id).locale.currency_code
    items: dict[UUID, list[OpenItem]] = defaultdict(list)
    for invoice in state.typed(company_id, "purchaseInvoices", PurchaseInvoice):
        outstanding = document_rules(invoice, currency).target.outstanding
        if outstanding:
            items[invoice.vendor_id].append((invoice.due_date, outstanding))
    return items


def aged_receivables(state: SimulatorState, company_id: UUID) -> list[AgedAccountsReceivable]:
    """One row per customer, aged by due date as of the company's today."""
    as_of, currency = state.company_today(company_id), state.simulated(company_id).locale.currency_code
    items = open_receivables(state, company_id)
    return [
        AgedAccountsReceivable(
            customer_id=customer.id,
            customer_number=customer.number,
            name=customer.display_name,
            currency_code="" if customer.currency_code == currency else customer.currency_code,
            aged_as_of_date=as_of,
            **age(items[customer.id], as_of),
        )
        for customer in state.typed(company_id, "customers", Customer)
    ]


def aged_payables(state: SimulatorState, company_id: UUID) -> list[AgedAccountsPayable]:
    """One row per vendor, aged by due date as of the company's today."""
    as_of, currency = state.company_today(company_id), state.simulated(company_id).locale.currency_code
    items = open_payables(state, company_id)
    return [
        AgedAccountsPayable(
            vendor_id=vendor.id,
            vendor_number=vendor.number,
            name=vendor.display_name,
            currency_code="" if vendor.currency_code == currency else vendor.currency_code,
            aged_as_of_date=as_of,
            **age(items[vendor.id], as_of),
        )
        for vendor in state.typed(company_id, "vendors", Vendor)
    ]


def age(items: Iterable[OpenItem], as_of: date) -> dict[str, Decimal]:
    """Not yet due (current), then 1 to 30, 31 to 60 and more than 60 days past due."""
    buckets = dict.fromkeys(("current_amount", "period1_amount", "period2_amount", "period3_amount"), ZERO)
    names = list(buckets)
    for due, amount in items:
        overdue = (as_of - due).days
        period = 0 if overdue <= 0 else min(3, (overdue - 1) // PERIOD_DAYS + 1)
        buckets[names[period]] += amount
    return {"balance_due": sum(buckets.values(), ZERO), **buckets}
