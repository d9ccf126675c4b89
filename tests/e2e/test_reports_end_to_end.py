"""A simulator company's statements, through sync, Kafka, the aggregator and MongoDB, match its ledger."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import openpyxl
import pytest

from deploy.local.bc_simulator.client import read_entity_set
from services.gateway.reports.periods import default_period_end
from tests.waiting import eventually

pytestmark = pytest.mark.e2e
CENT = 0.005


def labelled(sheet: Any, label: str, column: str = "C") -> float:
    """The figure on the row labelled `label` (column B)."""
    for row in range(1, sheet.max_row + 1):
        if sheet[f"B{row}"].value == label:
            return float(sheet[f"{column}{row}"].value)
    raise AssertionError(f"no {label!r} on {sheet.title}")


def checks(book: Any) -> list[float]:
    """Every 'Difference' check row's figures, on every sheet."""
    found = []
    for sheet in book.worksheets:
        for row in range(1, sheet.max_row + 1):
            if str(sheet[f"B{row}"].value or "").startswith("Difference"):
                found += [c.value for c in sheet[row][2:] if isinstance(c.value, int | float)]
    return found


async def test_a_simulator_companys_workbook_matches_its_ledger_and_balances(
    accountant_api: httpx.AsyncClient, outsider_api: httpx.AsyncClient, simulator: httpx.AsyncClient
) -> None:
    company = (await simulator.get("/companies")).json()[0]
    period_end = default_period_end(datetime.now(UTC).date())
    entries = await read_entity_set(company, "generalLedgerEntries")
    accounts = await read_entity_set(company, "accounts")
    cash = {a["number"] for a in accounts if a["category"] == "Assets" and "cash" in a["subCategory"].lower()}
    year_start = date(period_end.year, 1, 1)
    in_period = [e for e in entries if year_start.isoformat() <= e["postingDate"] <= period_end.isoformat()]
    expected_debits = sum((Decimal(e["debitAmount"]) for e in in_period), Decimal(0))
    expected_cash = sum(
        (
            Decimal(e["debitAmount"]) - Decimal(e["creditAmount"])
            for e in entries
            if e["accountNumber"] in cash and e["postingDate"] <= period_end.isoformat()
        ),
        Decimal(0),
    )
    url = f"/api/v1/companies/{company['companyId']}/reports/financial-statements.xlsx"

    async def workbook() -> Any:
        response = await accountant_api.get(url, params={"period_end": period_end.isoformat()})
        return (
            openpyxl.load_workbook(io.BytesIO(response.content), data_only=True)
            if response.is_success
            else None
        )

    def every_entry_arrived(book: Any) -> bool:
        return (
            book is not None and abs(labelled(book["Trial balance"], "Total") - float(expected_debits)) < CENT
        )

    book = await eventually(workbook, every_entry_arrived, within=90)

    assert checks(book)
    assert all(value == 0 for value in checks(book))
    assert book["Balance sheet"]["A4"].value is None
    assert labelled(book["Cash-flow statement"], "Cash at the end of the period") == pytest.approx(
        float(expected_cash), abs=CENT
    )
    assert labelled(book["Balance sheet"], "Total assets") == pytest.approx(
        labelled(book["Balance sheet"], "Total liabilities and equity"), abs=CENT
    )
    assert (await outsider_api.get(url)).status_code == 404
