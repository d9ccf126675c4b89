"""Writing statements as a ready-to-print Excel workbook with XlsxWriter.

Totals are formulas with the figure we computed as their cached result, so the workbook shows
the right numbers before any recalculation and keeps recalculating after the accountant edits it.
Excel stores numbers as binary floating point: the Decimal figures are converted at this edge only.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from services.gateway.reports.layout import Formula, Row, Statement

A4 = 9
FIRST_FIGURE_COLUMN = 2
HEADER_ROW = 4
MAX_HEADER_TEXT = 60


@dataclass(frozen=True)
class WorkbookMeta:
    """What every page says: whose books, which period, when generated."""

    company_name: str
    period_label: str
    generated_at: datetime


def write_workbook(statements: Sequence[Statement], meta: WorkbookMeta) -> bytes:
    """One sheet per statement; a first-sheet warning when any statement does not balance."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties(
        {
            "title": ", ".join(s.title for s in statements),
            "company": meta.company_name,
            "author": "Accountant Hub",
        }
    )
    styles = _Styles(book)
    problems = [problem for s in statements for problem in s.differences()]
    for index, statement in enumerate(statements):
        _write_sheet(book, styles, statement, meta, problems if index == 0 else [])
    book.close()
    return buffer.getvalue()


def a1(row: int, col: int) -> str:
    """The A1 reference of a statement cell (its figure column `col`) on the sheet row `row`."""
    return f"{xl_col_to_name(FIRST_FIGURE_COLUMN + col)}{row + 1}"


def excel_formula(formula: Formula, sheet_row: dict[int, int]) -> str:
    """`=SUM(C6:C9)` for a run of rows in one column, otherwise `=C6+C9-C12`; `=0` when empty."""
    if not formula:
        return "=0"
    rows = [sheet_row[row] for row, _, _ in formula]
    cols = {col for _, col, _ in formula}
    contiguous = rows == list(range(rows[0], rows[0] + len(rows)))
    if len(formula) > 2 and len(cols) == 1 and contiguous and all(sign == 1 for *_, sign in formula):
        col = next(iter(cols))
        return f"=SUM({a1(rows[0], col)}:{a1(rows[-1], col)})"
    parts = [("+" if sign > 0 else "-") + a1(sheet_row[row], col) for row, col, sign in formula]
    return "=" + "".join(parts).removeprefix("+")


class _Styles:
    def __init__(self, book: Any) -> None:
        self._book = book
        self._money: dict[tuple[str, str], Any] = {}
        self.company = book.add_format({"bold": True, "font_size": 14})
        self.title = book.add_format({"bold": True, "font_size": 12})
        self.subtitle = book.add_format({"italic": True, "font_color": "#444444"})
        self.header = book.add_format({"bold": True, "bottom": 1, "align": "center", "text_wrap": True})
        self.header_left = book.add_format({"bold": True, "bottom": 1})
        self.warning = book.add_format(
            {"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE", "text_wrap": True, "valign": "top"}
        )
        self.text = {
            "section": book.add_format({"bold": True}),
            "item": book.add_format({"indent": 1}),
            "subtotal": book.add_format({"bold": True}),
            "total": book.add_format({"bold": True}),
            "check": book.add_format({"italic": True}),
            "note": book.add_format({"italic": True, "font_size": 9}),
        }

    def money(self, style: str, currency: str) -> Any:
        key = (style, currency)
        if key not in self._money:
            spec: dict[str, Any] = {"num_format": f'#,##0.00 "{currency}";(#,##0.00) "{currency}";"-"'}
            if style == "subtotal":
                spec |= {"bold": True, "top": 1}
            elif style == "total":
                spec |= {"bold": True, "top": 1, "bottom": 6}
            elif style == "check":
                spec |= {"italic": True}
            self._money[key] = self._book.add_format(spec)
        return self._money[key]


def _write_sheet(
    book: Any, styles: _Styles, statement: Statement, meta: WorkbookMeta, problems: list[str]
) -> None:
    sheet = book.add_worksheet(statement.title[:31])
    last_col = FIRST_FIGURE_COLUMN + len(statement.columns) - 1
    sheet.write_string(0, 0, meta.company_name, styles.company)
    sheet.write_string(1, 0, statement.title, styles.title)
    sheet.write_string(2, 0, statement.subtitle, styles.subtitle)
    if problems:
        text = "These books do not balance — check them before relying on any figure here: " + "; ".join(
            problems
        )
        sheet.merge_range(3, 0, 3, last_col, text, styles.warning)
        sheet.set_row(3, 15 * (2 + len(problems)))
    sheet.write_string(HEADER_ROW, 0, statement.code_header, styles.header_left)
    sheet.write_string(HEADER_ROW, 1, statement.label_header, styles.header_left)
    for col, header in enumerate(statement.columns):
        sheet.write_string(HEADER_ROW, FIRST_FIGURE_COLUMN + col, header, styles.header)
    sheet_row = {index: HEADER_ROW + 1 + index for index in range(len(statement.rows))}
    for index, row in enumerate(statement.rows):
        _write_row(sheet, styles, statement, row, sheet_row[index], sheet_row)
    last_row = HEADER_ROW + len(statement.rows)
    _page_setup(sheet, statement, meta, last_row, last_col)


def _write_row(
    sheet: Any, styles: _Styles, statement: Statement, row: Row, at: int, sheet_row: dict[int, int]
) -> None:
    sheet.write_string(at, 0, row.code, styles.text["item"])
    sheet.write_string(at, 1, row.label, styles.text[row.style])
    currency = row.currency or statement.currency
    money = styles.money(row.style, currency)
    for col, (value, formula) in enumerate(zip(row.values, row.formulas, strict=True)):
        if value is None:
            continue
        if formula is None:
            sheet.write_number(at, FIRST_FIGURE_COLUMN + col, float(value), money)
        else:
            sheet.write_formula(
                at, FIRST_FIGURE_COLUMN + col, excel_formula(formula, sheet_row), money, float(value)
            )


def _page_setup(sheet: Any, statement: Statement, meta: WorkbookMeta, last_row: int, last_col: int) -> None:
    sheet.set_paper(A4)
    if statement.landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(HEADER_ROW)
    sheet.print_area(0, 0, last_row, last_col)
    sheet.hide_gridlines(2)
    sheet.center_horizontally()
    sheet.set_margins(left=0.5, right=0.5, top=0.8, bottom=0.7)
    sheet.set_header(
        f"&L&B{_header_text(meta.company_name)}&C{_header_text(statement.title)}&R{_header_text(meta.period_label)}"
    )
    sheet.set_footer(
        f"&LGenerated by Accountant Hub on {meta.generated_at:%d %b %Y %H:%M} UTC&RPage &P of &N"
    )
    sheet.set_column(0, 0, 10)
    sheet.set_column(1, 1, 44)
    sheet.set_column(FIRST_FIGURE_COLUMN, last_col, 18)
    sheet.freeze_panes(HEADER_ROW + 1, 0)


def _header_text(text: str) -> str:
    """Header text is limited in length, and `&` starts a control code there."""
    return text[:MAX_HEADER_TEXT].replace("&", "&&")
