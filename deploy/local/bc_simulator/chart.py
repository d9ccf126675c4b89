"""A small, realistic chart of accounts (BC's category/subcategory names) and LCY conversion."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from .enums import AccountCategory, AccountType

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
T = TypeVar("T")


@dataclass(frozen=True)
class ChartLine:
    """One G/L account of the chart; End-Total lines total the range from `totals_from`."""

    number: str
    name: str
    category: AccountCategory
    sub_category: str = ""
    account_type: AccountType = "Posting"
    totals_from: str | None = None

    @property
    def direct_posting(self) -> bool:
        """Posting accounts that are not control accounts of a subledger accept journal lines."""
        return self.account_type == "Posting" and self.number not in CONTROL_ACCOUNTS


_COGS: AccountCategory = "Cost_x0020_of_x0020_Goods_x0020_Sold"
CHART: tuple[ChartLine, ...] = (
    ChartLine("10000", "BALANCE SHEET", "_x0020_", account_type="Heading"),
    ChartLine("10001", "ASSETS", "Assets", account_type="Begin_x002D_Total"),
    ChartLine("10100", "Checking Account", "Assets", "Cash"),
    ChartLine("10200", "Savings Account", "Assets", "Cash"),
    ChartLine("10300", "Petty Cash", "Assets", "Cash"),
    ChartLine("10400", "Accounts Receivable", "Assets", "Accounts Receivable"),
    ChartLine("10500", "Prepaid Rent", "Assets", "Prepaid Expenses"),
    ChartLine("10600", "Purchase VAT Receivable", "Assets", "Current Assets"),
    ChartLine("10999", "TOTAL ASSETS", "Assets", account_type="End_x002D_Total", totals_from="10001"),
    ChartLine("20001", "LIABILITIES", "Liabilities", account_type="Begin_x002D_Total"),
    ChartLine("20100", "Accounts Payable", "Liabilities", "Accounts Payable"),
    ChartLine("20200", "Sales VAT Payable", "Liabilities", "Taxes Payable"),
    ChartLine("20300", "Accrued Salaries", "Liabilities", "Payroll Liabilities"),
    ChartLine(
        "20999", "TOTAL LIABILITIES", "Liabilities", account_type="End_x002D_Total", totals_from="20001"
    ),
    ChartLine("30001", "EQUITY", "Equity", account_type="Begin_x002D_Total"),
    ChartLine("30100", "Owner's Capital", "Equity", "Common Stock"),
    ChartLine("30200", "Retained Earnings", "Equity", "Retained Earnings"),
    ChartLine("30999", "TOTAL EQUITY", "Equity", account_type="End_x002D_Total", totals_from="30001"),
    ChartLine("40000", "INCOME STATEMENT", "_x0020_", account_type="Heading"),
    ChartLine("40100", "Sales, Services", "Income", "Income, Services"),
    ChartLine("40200", "Sales, Products", "Income", "Income, Product Sales"),
    ChartLine("50100", "Cost of Materials", _COGS, "Materials"),
    ChartLine("60100", "Rent", "Expense", "Rent Expense"),
    ChartLine("60200", "Advertising", "Expense", "Advertising Expense"),
    ChartLine("60300", "Utilities", "Expense", "Utilities Expense"),
    ChartLine("60400", "Professional Fees", "Expense", "Fees Expense"),
    ChartLine("60500", "Insurance", "Expense", "Insurance Expense"),
    ChartLine("60600", "Office Supplies", "Expense", "Other Expenses"),
    ChartLine("69999", "NET INCOME", "_x0020_", account_type="Total", totals_from="40000"),
)

CHECKING, SAVINGS, PETTY_CASH = "10100", "10200", "10300"
RECEIVABLES, PURCHASE_VAT, PAYABLES, SALES_VAT = "10400", "10600", "20100", "20200"
CAPITAL, RETAINED_EARNINGS = "30100", "30200"
REVENUE_ACCOUNTS = ("40100", "40200")
EXPENSE_ACCOUNTS = ("50100", "60100", "60200", "60300", "60400", "60500", "60600")
CONTROL_ACCOUNTS = frozenset({RECEIVABLES, PAYABLES})

# Rough value of one unit in USD; a company converts document amounts to its LCY with them.
_USD_VALUE = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "CAD": Decimal("0.73")}
_USD_VALUE["AUD"] = Decimal("0.66")


def exchange_rate(currency: str, local_currency: str) -> Decimal:
    """LCY per unit of `currency`, to six decimals (1 for the local currency itself)."""
    if currency == local_currency:
        return Decimal(1)
    return (_USD_VALUE[currency] / _USD_VALUE[local_currency]).quantize(Decimal("0.000001"), ROUND_HALF_UP)


def to_lcy(amount: Decimal, rate: Decimal) -> Decimal:
    """An amount in LCY, rounded to the cent as BC rounds amounts."""
    return (amount * rate).quantize(CENT, ROUND_HALF_UP)


def pick(options: Sequence[T], key: str) -> T:
    """A stable choice among `options` for `key` (the same on every run, unlike `hash`)."""
    digest = hashlib.sha256(key.encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


def posting_lines() -> tuple[ChartLine, ...]:
    """The accounts entries can be posted to."""
    return tuple(line for line in CHART if line.account_type == "Posting")


def totalled(line: ChartLine) -> tuple[str, str] | None:
    """The number range a Total/End-Total line adds up, if it is one."""
    return None if line.totals_from is None else (line.totals_from, line.number)
