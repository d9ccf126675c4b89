"""The workbooks the hub offers per company, and which statements each one holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from services.gateway.reports.aged import aged_payables, aged_receivables
from services.gateway.reports.books import Books, Ledger
from services.gateway.reports.layout import Statement
from services.gateway.reports.periods import report_period
from services.gateway.reports.statements import balance_sheet, cash_flow, income_statement
from services.gateway.reports.trial_balance import trial_balance

ALL = "financial-statements"
ReportName = Literal[
    "financial-statements",
    "balance-sheet",
    "income-statement",
    "cash-flow",
    "trial-balance",
    "aged-receivables",
    "aged-payables",
]


@dataclass(frozen=True)
class ReportKind:
    """A downloadable workbook: its name in the URL and its title."""

    name: str
    title: str


REPORTS: tuple[ReportKind, ...] = (
    ReportKind(ALL, "Financial statements (every sheet)"),
    ReportKind("balance-sheet", "Balance sheet"),
    ReportKind("income-statement", "Income statement"),
    ReportKind("cash-flow", "Cash-flow statement"),
    ReportKind("trial-balance", "Trial balance"),
    ReportKind("aged-receivables", "Aged receivables"),
    ReportKind("aged-payables", "Aged payables"),
)
REPORT_NAMES = tuple(r.name for r in REPORTS)
if set(REPORT_NAMES) != set(get_args(ReportName)):  # pragma: no cover - a programming error, caught on import
    raise RuntimeError("ReportName and REPORTS must list the same workbooks")


def statements_for(name: str, books: Books, period_end: date) -> list[Statement]:
    """The statements of workbook `name` (one, or all of them for `financial-statements`)."""
    period = report_period(period_end)
    ledger = Ledger(books.movements)
    everything: dict[str, Callable[[], Statement]] = {
        "balance-sheet": lambda: balance_sheet(books, ledger, period),
        "income-statement": lambda: income_statement(books, ledger, period),
        "cash-flow": lambda: cash_flow(books, ledger, period),
        "trial-balance": lambda: trial_balance(books, ledger, period),
        "aged-receivables": lambda: aged_receivables(books),
        "aged-payables": lambda: aged_payables(books),
    }
    if name == ALL:
        return [make() for make in everything.values()]
    return [everything[name]()]
