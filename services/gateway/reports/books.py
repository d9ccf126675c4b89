"""What the statements are computed from: a company's chart, its daily G/L movements, aged reports.

`Ledger` answers "balance of account A at the end of day D" and "movements between two days" with
prefix sums and a binary search, so a statement costs O(accounts x log days), whatever the number
of G/L entries behind the daily totals.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import accumulate

ZERO = Decimal(0)


@dataclass(frozen=True)
class Account:
    """A posting G/L account with BC's category (Assets, Liabilities, Equity, Income, ...)."""

    number: str
    name: str
    category: str
    sub_category: str = ""


@dataclass(frozen=True)
class DayMovement:
    """The debits and credits posted to one account on one day, in the company's currency."""

    day: date
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class AgedLine:
    """One customer's or vendor's line of an aged report; `p1..p3` are 1-30, 31-60, over 60 days."""

    number: str
    name: str
    currency: str
    current: Decimal
    p1: Decimal
    p2: Decimal
    p3: Decimal
    buckets_reported: bool = True


@dataclass(frozen=True)
class AgedReport:
    """An aged report as the client system produced it on `as_of` (None: never synced)."""

    as_of: date | None = None
    lines: tuple[AgedLine, ...] = ()


@dataclass(frozen=True)
class Books:
    """Everything the statements of one company need."""

    company_name: str
    currency: str
    accounts: tuple[Account, ...]
    movements: Mapping[str, Sequence[DayMovement]]
    receivables: AgedReport = field(default_factory=AgedReport)
    payables: AgedReport = field(default_factory=AgedReport)


@dataclass(frozen=True)
class _History:
    days: list[date]
    net: list[Decimal]
    debits: list[Decimal]
    credits: list[Decimal]


class Ledger:
    """Balances and movements per account from daily totals (debit-positive)."""

    def __init__(self, movements: Mapping[str, Sequence[DayMovement]]) -> None:
        self._history = {number: _history(days) for number, days in movements.items()}

    def balance(self, account: str, at: date) -> Decimal:
        """Debits minus credits posted on or before `at`."""
        return self._cumulative(account, at)[0]

    def movement(self, account: str, start: date, end: date) -> tuple[Decimal, Decimal]:
        """(debits, credits) posted from `start` to `end`, both inclusive."""
        _, debit_end, credit_end = self._cumulative(account, end)
        _, debit_start, credit_start = self._before(account, start)
        return debit_end - debit_start, credit_end - credit_start

    def net(self, account: str, start: date, end: date) -> Decimal:
        """Debits minus credits posted from `start` to `end`."""
        debit, credit = self.movement(account, start, end)
        return debit - credit

    def _before(self, account: str, day: date) -> tuple[Decimal, Decimal, Decimal]:
        history = self._history.get(account)
        if history is None:
            return ZERO, ZERO, ZERO
        return _at(history, bisect_left(history.days, day) - 1)

    def _cumulative(self, account: str, day: date) -> tuple[Decimal, Decimal, Decimal]:
        history = self._history.get(account)
        if history is None:
            return ZERO, ZERO, ZERO
        return _at(history, bisect_right(history.days, day) - 1)


def _at(history: _History, index: int) -> tuple[Decimal, Decimal, Decimal]:
    if index < 0:
        return ZERO, ZERO, ZERO
    return history.net[index], history.debits[index], history.credits[index]


def _history(days: Sequence[DayMovement]) -> _History:
    ordered = sorted(days, key=lambda m: m.day)
    debits = list(accumulate((m.debit for m in ordered), initial=ZERO))[1:]
    credits = list(accumulate((m.credit for m in ordered), initial=ZERO))[1:]
    return _History(
        days=[m.day for m in ordered],
        net=[d - c for d, c in zip(debits, credits, strict=True)],
        debits=debits,
        credits=credits,
    )


def day_movements(entries: Iterable[tuple[str, date, Decimal, Decimal]]) -> dict[str, list[DayMovement]]:
    """Daily totals per account from (account, posting date, debit, credit) entries."""
    totals: dict[str, dict[date, list[Decimal]]] = {}
    for account, day, debit, credit in entries:
        pair = totals.setdefault(account, {}).setdefault(day, [ZERO, ZERO])
        pair[0] += debit
        pair[1] += credit
    return {
        account: [DayMovement(day, pair[0], pair[1]) for day, pair in sorted(days.items())]
        for account, days in totals.items()
    }
