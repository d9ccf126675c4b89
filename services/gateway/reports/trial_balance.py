"""The trial balance: every posting account's movements in the period and its balance at the end."""

from __future__ import annotations

from services.gateway.reports.books import ZERO, Books, Ledger
from services.gateway.reports.layout import Statement, StatementBuilder, items_of
from services.gateway.reports.periods import ReportPeriod, column_header

WIDTH = 4


def trial_balance(books: Books, ledger: Ledger, period: ReportPeriod) -> Statement:
    """Debits and credits of the year to date, and the debit or credit balance at the period end."""
    p = period.current
    b = StatementBuilder(WIDTH)
    first = len(b.rows)
    for account in sorted(books.accounts, key=lambda a: a.number):
        debit, credit = ledger.movement(account.number, p.start, p.end)
        balance = ledger.balance(account.number, p.end)
        values = [debit, credit, max(balance, ZERO), max(-balance, ZERO)]
        if any(values):
            b.item(account.name, values, account.number)
    total = b.total("Total", items_of(first, len(b.rows) - 1), "total")
    b.cells(
        "Difference: debits - credits",
        [((total, 0, 1), (total, 1, -1)), None, ((total, 2, 1), (total, 3, -1)), None],
    )
    end = column_header(p.end)
    return Statement(
        name="trial-balance",
        title="Trial balance",
        subtitle=f"Movements {p.label}; balances as at {end}",
        currency=books.currency,
        columns=("Debits", "Credits", "Debit balance", "Credit balance"),
        rows=tuple(b.rows),
        landscape=True,
    )
