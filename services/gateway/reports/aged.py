"""Aged receivables and payables as the client system aged them (by due date), one block per currency."""

from __future__ import annotations

from itertools import groupby

from services.gateway.reports.books import AgedReport, Books
from services.gateway.reports.layout import Statement, StatementBuilder, items_of
from services.gateway.reports.periods import column_header

COLUMNS = ("Current", "1-30 days", "31-60 days", "Over 60 days", "Balance due")
BUCKETS = 4
NOT_AGED = (
    "Lines marked * were reported without ageing buckets: their whole overdue amount is shown "
    "under 1-30 days. The next sync of the company replaces them."
)


def aged_receivables(books: Books) -> Statement:
    """What customers owe, by how long it is overdue."""
    return _aged("aged-receivables", "Aged receivables", "Customer", books, books.receivables)


def aged_payables(books: Books) -> Statement:
    """What the company owes vendors, by how long it is overdue."""
    return _aged("aged-payables", "Aged payables", "Vendor", books, books.payables)


def _aged(name: str, title: str, party: str, books: Books, report: AgedReport) -> Statement:
    b = StatementBuilder(len(COLUMNS))
    lines = sorted(report.lines, key=lambda line: (line.currency, line.number))
    for currency, group in groupby(lines, key=lambda line: line.currency):
        b.section(currency)
        first = len(b.rows)
        for line in group:
            row = len(b.rows)
            balance = ((row, 0, 1), (row, 1, 1), (row, 2, 1), (row, 3, 1))
            b.item(
                line.name + ("" if line.buckets_reported else " *"),
                [line.current, line.p1, line.p2, line.p3, line.current + line.p1 + line.p2 + line.p3],
                line.number,
                currency,
                [None] * BUCKETS + [balance],
            )
        b.total(f"Total {currency}", items_of(first, len(b.rows) - 1), "total", currency)
    if not lines:
        b.note("Nothing outstanding." if report.as_of else "Not synced from the client's system yet.")
    if not all(line.buckets_reported for line in lines):
        b.note(NOT_AGED)
    as_of = f"As of {column_header(report.as_of)}" if report.as_of else "Not synced yet"
    return Statement(
        name=name,
        title=title,
        subtitle=f"{as_of}, aged by due date; amounts in each line's currency, never added across currencies",
        currency=books.currency,
        columns=COLUMNS,
        rows=tuple(b.rows),
        landscape=True,
        label_header=party,
    )
