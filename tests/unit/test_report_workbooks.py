"""The statements balance, their totals are formulas that recalculate to our figures, and they print well."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from services.gateway.reports.books import DayMovement, Ledger
from services.gateway.reports.catalog import ALL, REPORT_NAMES, statements_for
from services.gateway.reports.periods import default_period_end, report_period
from services.gateway.reports.workbook import WorkbookMeta, write_workbook
from tests.report_books import CASH, CHART, Entry, balance, books_from, entries_of, postings

PERIOD_END = date(2026, 9, 30)
ENTRIES = entries_of(postings(3000, date(2024, 1, 1), 1000))
CENT = 0.005
TOTALS = ("Total", "Net cash", "Net change", "Gross profit", "Difference", "Cash at the end")


def workbook(name: str = ALL, entries: list[Entry] = ENTRIES) -> tuple[Any, Any]:
    books = books_from(entries)
    meta = WorkbookMeta(books.company_name, "Year to date 30 Sep 2026", datetime(2026, 10, 1, tzinfo=UTC))
    data = write_workbook(statements_for(name, books, PERIOD_END), meta)
    formulas = openpyxl.load_workbook(io.BytesIO(data))
    values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    return formulas, values


def figure(sheet: Worksheet, label: str, column: str = "C") -> float:
    """The figure on the row whose label (column B) is `label`."""
    for row in range(1, sheet.max_row + 1):
        if sheet[f"B{row}"].value == label:
            value = sheet[f"{column}{row}"].value
            assert isinstance(value, int | float), f"{label!r} has no figure in column {column}"
            return float(value)
    raise AssertionError(f"no row labelled {label!r} on {sheet.title}")


def evaluate(formula: str, values: Worksheet) -> float:
    """Our formulas are `=SUM(C6:C9)`, `=0` or signed cell references: recalculate them as Excel would."""
    body = formula.removeprefix("=")
    if body == "0":
        return 0.0
    total_range = re.fullmatch(r"SUM\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)", body)
    if total_range:
        col, first, _, last = total_range.groups()
        return sum(float(values[f"{col}{row}"].value or 0) for row in range(int(first), int(last) + 1))
    terms = re.findall(r"([+-]?)([A-Z]+\d+)", body)
    assert "".join(sign + ref for sign, ref in terms) == body, f"unexpected formula {formula}"
    return sum((-1 if sign == "-" else 1) * float(values[ref].value or 0) for sign, ref in terms)


def test_the_full_workbook_has_a_sheet_per_statement_and_each_statement_comes_alone() -> None:
    formulas, _ = workbook()
    assert formulas.sheetnames == [
        "Balance sheet",
        "Income statement",
        "Cash-flow statement",
        "Trial balance",
        "Aged receivables",
        "Aged payables",
    ]
    for name in REPORT_NAMES[1:]:
        alone, _ = workbook(name)
        assert len(alone.sheetnames) == 1


def test_balance_sheet_balances_with_this_years_earnings_in_equity() -> None:
    _, values = workbook()
    sheet = values["Balance sheet"]
    assets = figure(sheet, "Total assets")
    expected_assets = balance(ENTRIES, tuple(a.number for a in CHART if a.category == "Assets"), PERIOD_END)
    assert assets == pytest.approx(float(expected_assets), abs=CENT)
    assert figure(sheet, "Total liabilities and equity") == pytest.approx(assets, abs=CENT)
    assert figure(sheet, "Difference: assets - (liabilities + equity)") == 0
    income = _, income_values = workbook("income-statement")
    assert income
    net_income = figure(income_values["Income statement"], "Net income")
    assert figure(sheet, "Net income for the year to date") == pytest.approx(net_income, abs=CENT)


def test_trial_balance_debits_equal_credits() -> None:
    _, values = workbook("trial-balance")
    sheet = values["Trial balance"]
    assert figure(sheet, "Total", "C") == pytest.approx(figure(sheet, "Total", "D"), abs=CENT)
    assert figure(sheet, "Total", "E") == pytest.approx(figure(sheet, "Total", "F"), abs=CENT)
    debits = sum((d for _, day, d, _ in ENTRIES if date(2026, 1, 1) <= day <= PERIOD_END), Decimal(0))
    assert figure(sheet, "Total", "C") == pytest.approx(float(debits), abs=CENT)


def test_cash_flow_net_change_equals_the_change_in_cash() -> None:
    _, values = workbook("cash-flow")
    sheet = values["Cash-flow statement"]
    change = balance(ENTRIES, CASH, PERIOD_END) - balance(ENTRIES, CASH, date(2025, 12, 31))
    assert figure(sheet, "Net change in cash") == pytest.approx(float(change), abs=CENT)
    assert figure(sheet, "Cash at the end of the period") == pytest.approx(
        float(balance(ENTRIES, CASH, PERIOD_END)), abs=CENT
    )
    assert figure(sheet, "Difference: cash flow - balance sheet") == 0


def test_every_total_is_a_formula_that_recalculates_to_the_figure_written() -> None:
    formulas, values = workbook()
    checked = 0
    for sheet in formulas.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cached = values[sheet.title][cell.coordinate].value
                    assert evaluate(cell.value, values[sheet.title]) == pytest.approx(cached, abs=CENT)
                    checked += 1
        for row in range(1, sheet.max_row + 1):
            label = str(sheet[f"B{row}"].value or "")
            if (label == "Net income" and sheet.title == "Income statement") or label.startswith(TOTALS):
                assert str(sheet[f"C{row}"].value).startswith("="), f"{sheet.title}: {label} is not a formula"
    assert checked > 40


def test_every_sheet_is_ready_to_print() -> None:
    formulas, _ = workbook()
    for sheet in formulas.worksheets:
        landscape = sheet.title in {"Trial balance", "Aged receivables", "Aged payables"}
        assert sheet.page_setup.orientation == ("landscape" if landscape else "portrait")
        assert sheet.page_setup.paperSize == 9
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth in (None, 1)  # absent means 1 page wide in SpreadsheetML
        assert sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows == "$5:$5"
        assert sheet.print_area
        assert not sheet.sheet_view.showGridLines
        assert not sheet.print_options.gridLines
        assert "Cronus && Sons Ltd" in sheet.oddHeader.left.text
        assert "30 Sep 2026" in sheet.oddHeader.right.text
        assert "&P" in sheet.oddFooter.right.text
        assert "&N" in sheet.oddFooter.right.text
        assert sheet["A1"].value == "Cronus & Sons Ltd"
        money = [
            c.number_format
            for row in sheet.iter_rows(min_row=6)
            for c in row
            if isinstance(c.value, float | int)
        ]
        assert money
        assert all('"GBP"' in f or '"EUR"' in f for f in money)


def test_aged_receivables_total_each_currency_alone() -> None:
    _, values = workbook("aged-receivables")
    sheet = values["Aged receivables"]
    assert figure(sheet, "Total GBP", "G") == pytest.approx(185.50)
    assert figure(sheet, "Total EUR", "G") == pytest.approx(15.00)
    eur_total_row = next(r for r in range(1, sheet.max_row + 1) if sheet[f"B{r}"].value == "Total EUR")
    assert '"EUR"' in sheet[f"G{eur_total_row}"].number_format


def test_books_that_do_not_balance_say_so_on_the_first_sheet() -> None:
    lopsided = [*ENTRIES, ("10100", date(2026, 3, 3), Decimal("123.45"), Decimal(0))]
    formulas, values = workbook(ALL, lopsided)
    warning = str(formulas["Balance sheet"]["A4"].value)
    assert warning.startswith("These books do not balance")
    assert "123.45" in warning
    assert figure(values["Balance sheet"], "Difference: assets - (liabilities + equity)") == pytest.approx(
        123.45
    )
    balanced, _ = workbook()
    assert balanced["Balance sheet"]["A4"].value is None


def test_ledger_balances_include_the_day_itself_and_movements_both_ends() -> None:
    ledger = Ledger(
        {
            "1": [
                DayMovement(date(2026, 1, 1), Decimal(10), Decimal(0)),
                DayMovement(date(2026, 1, 5), Decimal(0), Decimal(3)),
                DayMovement(date(2026, 2, 1), Decimal(7), Decimal(0)),
            ]
        }
    )
    assert ledger.balance("1", date(2025, 12, 31)) == 0
    assert ledger.balance("1", date(2026, 1, 5)) == 7
    assert ledger.movement("1", date(2026, 1, 5), date(2026, 2, 1)) == (Decimal(7), Decimal(3))
    assert ledger.net("1", date(2026, 1, 2), date(2026, 1, 31)) == -3
    assert ledger.balance("unknown", date(2026, 1, 5)) == 0


def test_the_default_period_ends_with_the_last_complete_month() -> None:
    assert default_period_end(date(2026, 11, 25)) == date(2026, 10, 31)
    assert default_period_end(date(2026, 1, 1)) == date(2025, 12, 31)


def test_the_comparative_period_is_the_same_span_a_year_earlier_even_from_a_leap_day() -> None:
    period = report_period(date(2028, 2, 29))
    assert (period.current.start, period.current.end) == (date(2028, 1, 1), date(2028, 2, 29))
    assert (period.comparative.start, period.comparative.end) == (date(2027, 1, 1), date(2027, 2, 28))
    assert period.ends_in_months == {"2028-02", "2027-02"}
