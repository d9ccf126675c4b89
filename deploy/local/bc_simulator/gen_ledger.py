"""A company's posted history: chart of accounts, opening balances, and every document's postings."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .chart import CAPITAL, CHART, CHECKING, PETTY_CASH, RETAINED_EARNINGS, SAVINGS, ZERO
from .entities import Company, SalesInvoice
from .entities_ledger import Account, GeneralLedgerEntry
from .entities_purchase import PurchaseInvoice
from .entities_sales import SalesCreditMemo
from .enums import RECOGNISED
from .gen_common import day_between, instant, money, new_uuid, on_day
from .ledger import Ledger, NumberSeries, Subledger
from .postings import Line, Posting, Target, debit_credit, document_rules

Event = tuple[datetime, Posting]


@dataclass(frozen=True)
class LedgerHistory:
    """The generated chart, its entries, and the corrective credit memos of cancelled invoices."""

    accounts: tuple[Account, ...]
    entries: tuple[GeneralLedgerEntry, ...]
    corrective_memos: tuple[SalesCreditMemo, ...]


@dataclass(frozen=True)
class Documents:
    """The documents whose postings make up the history."""

    sales_invoices: tuple[SalesInvoice, ...]
    credit_memos: tuple[SalesCreditMemo, ...]
    purchase_invoices: tuple[PurchaseInvoice, ...]


def ledger_history(
    rng: random.Random, company: Company, currency: str, documents: Documents, today: date
) -> LedgerHistory:
    """Post the opening balances, then each document as it happened, in time order."""
    accounts = tuple(_account(rng, company, index) for index in range(len(CHART)))
    subledger = Subledger(NumberSeries(memo.number for memo in documents.credit_memos))
    timeline = [
        (on_day(rng, company.system_created_at.date()), _opening(rng, company.system_created_at.date()))
    ]
    memos = []
    for invoice in documents.sales_invoices:
        events = _history(rng, subledger, invoice, currency, today)
        timeline += events
        if invoice.status == "Canceled":
            memos.append(_corrective(rng, invoice, events[-1]))
    for memo in documents.credit_memos:
        timeline += _history(rng, subledger, memo, currency, today)
    for bill in documents.purchase_invoices:
        timeline += _history(rng, subledger, bill, currency, today)
    ledger = Ledger(company.id, accounts, ())
    for stamp, posting in sorted(timeline, key=lambda event: (event[0], event[1].document_number)):
        ledger.post(posting, stamp)
    return LedgerHistory(accounts, tuple(ledger.entries), tuple(memos))


def _account(rng: random.Random, company: Company, index: int) -> Account:
    line, created = CHART[index], company.system_created_at.date()
    return Account(
        id=new_uuid(rng),
        number=line.number,
        display_name=line.name,
        category=line.category,
        sub_category=line.sub_category,
        account_type=line.account_type,
        direct_posting=line.direct_posting,
        net_change=ZERO,
        last_modified_date_time=instant(rng, created, created + timedelta(days=30)),
    )


def _opening(rng: random.Random, day: date) -> Posting:
    cash = [money(rng, 40_000, 250_000), money(rng, 10_000, 120_000), money(rng, 200, 1_500)]
    capital = money(rng, 10_000, 40_000)
    return debit_credit(
        "OPENING",
        "_x0020_",
        day,
        "Opening balances",
        *(
            Line(account, debit=amount)
            for account, amount in zip((CHECKING, SAVINGS, PETTY_CASH), cash, strict=True)
        ),
        Line(CAPITAL, credit=capital),
        Line(RETAINED_EARNINGS, credit=sum(cash, ZERO) - capital),
    )


Document = SalesInvoice | SalesCreditMemo | PurchaseInvoice


def _history(
    rng: random.Random, subledger: Subledger, document: Document, currency: str, today: date
) -> list[Event]:
    """Posted on its posting date (if it ever was), settled or cancelled on a later day."""
    rules, posted_on, status = document_rules(document, currency), document.posting_date, document.status
    events: list[Event] = []
    first = _stamp(rng, posted_on, today)
    if status in RECOGNISED or status == "Canceled":
        events += _at(first, subledger.stage(rules, Target(True, rules.exposure), posted_on))
    later = day_between(rng, posted_on, today)
    return events + _at(
        max(_stamp(rng, later, today), first + timedelta(seconds=1)), subledger.reconcile(rules, later)
    )


def _stamp(rng: random.Random, day: date, today: date) -> datetime:
    """When a posting of `day` was made: office hours, but before today began (like every
    generated stamp), so that changes made from now on are always later."""
    return on_day(rng, min(day, today - timedelta(days=1)))


def _at(stamp: datetime, postings: Iterable[Posting]) -> list[Event]:
    return [(stamp, posting) for posting in postings]


def _corrective(rng: random.Random, invoice: SalesInvoice, reversal: Event) -> SalesCreditMemo:
    stamp, posting = reversal
    if posting.document_type != "Credit_x0020_Memo":
        raise ValueError(f"{invoice.number} was cancelled without a reversal")
    return SalesCreditMemo(
        id=new_uuid(rng),
        number=posting.document_number,
        customer_id=invoice.customer_id,
        customer_number=invoice.customer_number,
        customer_name=invoice.customer_name,
        currency_code=invoice.currency_code,
        total_amount_excluding_tax=invoice.total_amount_excluding_tax,
        total_tax_amount=invoice.total_tax_amount,
        total_amount_including_tax=invoice.total_amount_including_tax,
        credit_memo_date=posting.posting_date,
        posting_date=posting.posting_date,
        due_date=posting.posting_date,
        status="Corrective",
        last_modified_date_time=stamp,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
    )
