"""Balance sheet, income statement and cash-flow statement (indirect method) from a ledger.

Signs: the ledger is debit-positive; assets and expenses print as debit balances, liabilities,
equity and income as credit balances. Earnings not yet closed to retained earnings are shown in
equity (prior years' and this year's), so assets = liabilities + equity whenever the G/L balances.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

from services.gateway.reports.books import Account, Books, Ledger
from services.gateway.reports.layout import Statement, StatementBuilder, items_of
from services.gateway.reports.periods import Period, ReportPeriod, column_header

ASSETS, LIABILITIES, EQUITY = "Assets", "Liabilities", "Equity"
INCOME, COGS, EXPENSE = "Income", "Cost of Goods Sold", "Expense"
PROFIT_AND_LOSS = (INCOME, COGS, EXPENSE)
INVESTING_WORDS = ("fixed", "equipment", "property", "vehicle", "building", "investment")
HEADINGS = {INCOME: "Income", COGS: "Cost of goods sold", EXPENSE: "Expenses"}
FINANCING_WORDS = ("long term", "long-term", "loan", "note payable", "notes payable", "mortgage")


def section_of(account: Account) -> str:
    """Where an account prints on the balance sheet; an unknown category prints with the assets."""
    if account.category in (LIABILITIES, EQUITY, *PROFIT_AND_LOSS):
        return account.category
    return ASSETS


def is_cash(account: Account) -> bool:
    """Business Central's cash cue: asset accounts whose subcategory is a cash account."""
    return section_of(account) == ASSETS and "cash" in account.sub_category.lower()


def balance_sheet(books: Books, ledger: Ledger, period: ReportPeriod) -> Statement:
    """Assets, liabilities and equity at the period end and a year earlier."""
    ends = (period.current, period.comparative)
    b = StatementBuilder(2)

    def balances(account: Account, sign: int) -> list[Decimal]:
        return [sign * ledger.balance(account.number, p.end) for p in ends]

    totals = {}
    for category, sign in ((ASSETS, 1), (LIABILITIES, -1), (EQUITY, -1)):
        b.section(category)
        first = len(b.rows)
        for account in _accounts(books, category):
            values = balances(account, sign)
            if any(values):
                b.item(account.name, values, account.number)
        if category == EQUITY:
            b.item(
                "Earnings of prior years not yet closed",
                [_earnings(books, ledger, p, prior=True) for p in ends],
            )
            b.item(
                "Net income for the year to date", [_earnings(books, ledger, p, prior=False) for p in ends]
            )
        totals[category] = b.total(f"Total {category.lower()}", items_of(first, len(b.rows) - 1))
    both = b.total("Total liabilities and equity", [(totals[LIABILITIES], 1), (totals[EQUITY], 1)], "total")
    b.cells(
        "Difference: assets - (liabilities + equity)",
        [((totals[ASSETS], col, 1), (both, col, -1)) for col in range(2)],
    )
    return _statement(
        "balance-sheet", "Balance sheet", f"As at {column_header(period.current.end)}", books, b, ends
    )


def income_statement(books: Books, ledger: Ledger, period: ReportPeriod) -> Statement:
    """Income, cost of goods sold and expenses for the year to date and the same span a year earlier."""
    spans = (period.current, period.comparative)
    b = StatementBuilder(2)
    totals = {}
    for category, sign in ((INCOME, -1), (COGS, 1), (EXPENSE, 1)):
        b.section(HEADINGS[category])
        first = len(b.rows)
        for account in _accounts(books, category):
            values = [sign * ledger.net(account.number, p.start, p.end) for p in spans]
            if any(values):
                b.item(account.name, values, account.number)
        label = f"Total {HEADINGS[category].lower()}"
        totals[category] = b.total(label, items_of(first, len(b.rows) - 1))
        if category == COGS:
            totals["gross"] = b.total("Gross profit", [(totals[INCOME], 1), (totals[COGS], -1)], "total")
    b.total("Net income", [(totals["gross"], 1), (totals[EXPENSE], -1)], "total")
    subtitle = f"Year to date {period.current.label}"
    return _statement("income-statement", "Income statement", subtitle, books, b, spans)


def cash_flow(books: Books, ledger: Ledger, period: ReportPeriod) -> Statement:
    """Indirect method: net income adjusted by the change in every non-cash balance-sheet account."""
    spans = (period.current, period.comparative)
    b = StatementBuilder(2)
    non_cash = [
        a for a in books.accounts if section_of(a) in (ASSETS, LIABILITIES, EQUITY) and not is_cash(a)
    ]
    activities = ("operating", "investing", "financing")
    subtotals = []
    for activity in activities:
        heading = f"{activity.capitalize()} activities"
        b.section(heading)
        first = len(b.rows)
        if activity == "operating":
            b.item("Net income", [_earnings(books, ledger, p, prior=False) for p in spans])
        _changes(b, ledger, [a for a in non_cash if _activity(a) == activity], spans)
        subtotals.append(b.total(f"Net cash from {heading.lower()}", items_of(first, len(b.rows) - 1)))
    change = b.total("Net change in cash", [(row, 1) for row in subtotals], "total")
    cash = [a for a in books.accounts if is_cash(a)]
    opening = b.item("Cash at the beginning of the period", [_sum(ledger, cash, p.opening) for p in spans])
    closing = b.total("Cash at the end of the period", [(opening, 1), (change, 1)], "total")
    on_sheet = b.item(
        "Cash on the balance sheet at the end of the period", [_sum(ledger, cash, p.end) for p in spans]
    )
    b.cells("Difference: cash flow - balance sheet", [((closing, c, 1), (on_sheet, c, -1)) for c in range(2)])
    subtitle = f"Year to date {period.current.label} (indirect method)"
    return _statement("cash-flow", "Cash-flow statement", subtitle, books, b, spans)


def _changes(
    b: StatementBuilder, ledger: Ledger, accounts: Sequence[Account], spans: Sequence[Period]
) -> None:
    """A balance that went up on the debit side used cash; one that went up on the credit side freed it."""
    for account in accounts:
        values = [-ledger.net(account.number, p.start, p.end) for p in spans]
        if any(values):
            b.item(f"Change in {account.name}", values, account.number)


def _activity(account: Account) -> str:
    sub = account.sub_category.lower()
    if section_of(account) == EQUITY or any(word in sub for word in FINANCING_WORDS):
        return "financing"
    if section_of(account) == ASSETS and any(word in sub for word in INVESTING_WORDS):
        return "investing"
    return "operating"


def _earnings(books: Books, ledger: Ledger, period: Period, *, prior: bool) -> Decimal:
    """Credit-positive profit: before the period (prior=True) or within it."""
    pnl = [a for a in books.accounts if section_of(a) in PROFIT_AND_LOSS]
    if prior:
        return -_sum(ledger, pnl, period.opening)
    return -sum((ledger.net(a.number, period.start, period.end) for a in pnl), Decimal(0))


def _sum(ledger: Ledger, accounts: Sequence[Account], at: date) -> Decimal:
    return sum((ledger.balance(a.number, at) for a in accounts), Decimal(0))


def _accounts(books: Books, category: str) -> list[Account]:
    return sorted((a for a in books.accounts if section_of(a) == category), key=lambda a: a.number)


def _statement(
    name: str, title: str, subtitle: str, books: Books, b: StatementBuilder, periods: Sequence[Period]
) -> Statement:
    return Statement(
        name=name,
        title=title,
        subtitle=subtitle,
        currency=books.currency,
        columns=tuple(column_header(p.end) for p in periods),
        rows=tuple(b.rows),
    )


Builder = Callable[[Books, Ledger, ReportPeriod], Statement]
