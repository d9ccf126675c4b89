"""Builders for report tests and the bench: balanced double-entry books with a known history."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.documents import record_write
from services.gateway.reports.books import Account, AgedLine, AgedReport, Books, day_movements
from shared.events import AccountChanged, LedgerEntriesPosted
from shared.ids import CompanyId
from shared.mongo import Document
from shared.records import LedgerAccount, LedgerEntry

CHART = (
    Account("10100", "Checking Account", "Assets", "Cash"),
    Account("10200", "Savings Account", "Assets", "Cash"),
    Account("10400", "Accounts Receivable", "Assets", "Accounts Receivable"),
    Account("10600", "Purchase VAT Receivable", "Assets", "Current Assets"),
    Account("12000", "Office Equipment", "Assets", "Fixed Assets"),
    Account("20100", "Accounts Payable", "Liabilities", "Accounts Payable"),
    Account("20200", "Sales VAT Payable", "Liabilities", "Taxes Payable"),
    Account("25000", "Bank Loan", "Liabilities", "Long Term Liabilities"),
    Account("30100", "Owner's Capital", "Equity", "Common Stock"),
    Account("30200", "Retained Earnings", "Equity", "Retained Earnings"),
    Account("40100", "Sales, Services", "Income", "Income, Services"),
    Account("50100", "Cost of Materials", "Cost of Goods Sold", "Materials"),
    Account("60100", "Rent", "Expense", "Rent Expense"),
    Account("60200", "Advertising", "Expense", "Advertising Expense"),
)
CASH = ("10100", "10200")
Entry = tuple[str, date, Decimal, Decimal]
MOMENT = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Posting:
    """A balanced set of lines: (account, signed amount; positive = debit)."""

    day: date
    lines: tuple[tuple[str, Decimal], ...]


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def postings(count: int, start: date, days: int, seed: int = 7) -> list[Posting]:
    """`count` postings spread over `days` days from `start`, after an opening capital injection."""
    rng = random.Random(seed)
    out = [Posting(start, (("10100", Decimal("50000.00")), ("30100", Decimal("-50000.00"))))]
    for _ in range(count - 1):
        day = start + timedelta(days=rng.randrange(days))
        net, kind = _money(rng, 10, 5000), rng.randrange(8)
        vat = (net * Decimal("0.2")).quantize(Decimal("0.01"))
        lines: tuple[tuple[str, Decimal], ...]
        if kind == 0:
            lines = (("10400", net + vat), ("40100", -net), ("20200", -vat))
        elif kind == 1:
            lines = (("10100", net), ("10400", -net))
        elif kind == 2:
            lines = (("60100", net), ("10600", vat), ("20100", -(net + vat)))
        elif kind == 3:
            lines = (("20100", net), ("10100", -net))
        elif kind == 4:
            lines = (("50100", net), ("20100", -net))
        elif kind == 5:
            lines = (("12000", net), ("10200", -net))
        elif kind == 6:
            lines = (("10200", net), ("25000", -net))
        else:
            lines = (("60200", net), ("10100", -net))
        out.append(Posting(day, lines))
    return out


def entries_of(posted: list[Posting]) -> list[Entry]:
    """One G/L entry per line, as Business Central posts them (debit or credit, never negative)."""
    return [
        (account, p.day, max(amount, Decimal(0)), max(-amount, Decimal(0)))
        for p in posted
        for account, amount in p.lines
    ]


def books_from(entries: list[Entry], company: str = "Cronus & Sons Ltd", currency: str = "GBP") -> Books:
    """Books over the builder's chart, with a small aged receivables and payables report."""
    receivables = AgedReport(
        date(2026, 11, 1),
        (
            AgedLine(
                "C001", "Adatum", "GBP", Decimal("100.00"), Decimal("50.00"), Decimal(0), Decimal("25.50")
            ),
            AgedLine("C002", "Fabrikam", "EUR", Decimal("10.00"), Decimal(0), Decimal("5.00"), Decimal(0)),
            AgedLine(
                "C003", "Litware", "GBP", Decimal("1.00"), Decimal("2.00"), Decimal("3.00"), Decimal("4.00")
            ),
        ),
    )
    payables = AgedReport(
        date(2026, 11, 1),
        (AgedLine("V001", "Contoso", "GBP", Decimal("70.00"), Decimal("30.00"), Decimal(0), Decimal(0)),),
    )
    return Books(company, currency, CHART, day_movements(entries), receivables, payables)


def balance(entries: list[Entry], accounts: tuple[str, ...], at: date, since: date | None = None) -> Decimal:
    """Debits minus credits of `accounts` from `since` (or the beginning) to `at`, summed the slow way."""
    return sum(
        (
            d - c
            for a, day, d, c in entries
            if a in accounts and day <= at and (since is None or day >= since)
        ),
        Decimal(0),
    )


def posted(company: CompanyId, seq: int, entries: list[LedgerEntry]) -> LedgerEntriesPosted:
    """A LedgerEntriesPosted event."""
    return LedgerEntriesPosted(company_id=company, seq=seq, entries=tuple(entries))


def ledger_entry(number: int, entry: Entry) -> LedgerEntry:
    """A builder entry as sync publishes it, with its entry number."""
    account, day, debit, credit = entry
    return LedgerEntry(
        id=f"e-{number}",
        entry_number=number,
        account_number=account,
        posting_date=day,
        debit_amount=debit,
        credit_amount=credit,
        last_modified_at=MOMENT,
    )


def ledger_entries() -> list[LedgerEntry]:
    """The entries of 400 postings over 2025 and most of 2026, numbered from 1."""
    return [ledger_entry(n, e) for n, e in enumerate(entries_of(postings(400, date(2025, 1, 1), 600)), 1)]


async def store_chart(db: AsyncDatabase[Document], company: CompanyId) -> None:
    """The builder's chart stored as the aggregator stores AccountChanged records."""
    accounts = [
        AccountChanged(
            company_id=company,
            seq=1000 + i,
            account=LedgerAccount(
                id=a.number,
                number=a.number,
                name=a.name,
                category=a.category,
                sub_category=a.sub_category,
                posting=True,
                balance=Decimal(0),
                currency="GBP",
            ),
        )
        for i, a in enumerate(CHART)
    ]
    await db["agg_records"].bulk_write([record_write(e).as_update() for e in accounts])
