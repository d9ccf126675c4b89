"""A statement as rows of figures, where every total is a formula over other cells.

The builder computes each total by evaluating its own formula over the figures already laid out,
so the value written as the formula's cached result is, by construction, what Excel recalculates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

RowStyle = Literal["section", "item", "subtotal", "total", "check", "note"]
Term = tuple[int, int, int]
"""(row index, column index, sign): one reference inside a formula."""
Formula = tuple[Term, ...]
ZERO = Decimal(0)


@dataclass(frozen=True)
class Row:
    """One printed line: a label, an optional account (or party) number, one figure per column."""

    label: str
    style: RowStyle = "item"
    code: str = ""
    values: tuple[Decimal | None, ...] = ()
    formulas: tuple[Formula | None, ...] = ()
    currency: str | None = None


@dataclass(frozen=True)
class Statement:
    """One sheet: title, period, column headers and rows; `check` rows must come out at zero."""

    name: str
    title: str
    subtitle: str
    currency: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    landscape: bool = False
    code_header: str = "No."
    label_header: str = "Account"
    notes: tuple[str, ...] = field(default=())

    def differences(self) -> list[str]:
        """What does not balance, in words (empty when every check row is zero)."""
        found = []
        for row in self.rows:
            if row.style != "check":
                continue
            for header, value in zip(self.columns, row.values, strict=False):
                if value is not None and value != ZERO:
                    found.append(f"{self.title}: {row.label} is {value:,.2f} {self.currency} ({header})")
        return found


class StatementBuilder:
    """Lays out rows; totals are formulas whose values are computed from the rows they refer to."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.rows: list[Row] = []

    def section(self, label: str) -> int:
        """A heading line without figures."""
        return self._add(Row(label, "section"))

    def note(self, label: str) -> int:
        """A line of text under the figures."""
        return self._add(Row(label, "note"))

    def item(
        self,
        label: str,
        values: Sequence[Decimal],
        code: str = "",
        currency: str | None = None,
        formulas: Sequence[Formula | None] | None = None,
    ) -> int:
        """A line of figures; a column with a formula gets the formula's value instead."""
        cells = tuple(formulas) if formulas is not None else (None,) * self.width
        index = self._add(Row(label, "item", code, tuple(values), cells, currency))
        computed = tuple(
            self._evaluate(f) if f is not None else v for v, f in zip(values, cells, strict=True)
        )
        self.rows[index] = Row(label, "item", code, computed, cells, currency)
        return index

    def total(
        self,
        label: str,
        refs: Sequence[tuple[int, int]],
        style: RowStyle = "subtotal",
        currency: str | None = None,
    ) -> int:
        """Each column is the signed sum of the same column of `refs` ((row index, sign) pairs)."""
        formulas = tuple(tuple((row, col, sign) for row, sign in refs) for col in range(self.width))
        values = tuple(self._evaluate(f) for f in formulas)
        return self._add(Row(label, style, "", values, formulas, currency))

    def cells(self, label: str, formulas: Sequence[Formula | None], style: RowStyle = "check") -> int:
        """A row whose columns are arbitrary formulas (e.g. debits minus credits of a total row)."""
        values = tuple(None if f is None else self._evaluate(f) for f in formulas)
        return self._add(Row(label, style, "", values, tuple(formulas)))

    def _evaluate(self, formula: Formula) -> Decimal:
        total = ZERO
        for row, col, sign in formula:
            value = self.rows[row].values[col]
            total += sign * (value or ZERO)
        return total

    def _add(self, row: Row) -> int:
        if not row.values:
            row = Row(row.label, row.style, row.code, (None,) * self.width, (None,) * self.width)
        self.rows.append(row)
        return len(self.rows) - 1


def items_of(first: int, last: int) -> list[tuple[int, int]]:
    """(row, +1) for every row index from `first` to `last` inclusive."""
    return [(row, 1) for row in range(first, last + 1)]
