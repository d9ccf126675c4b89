"""The reports API: a granted accountant downloads workbooks that balance; others cannot tell it exists."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import openpyxl
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.mongo import MongoServer
from services.aggregator.ledger import MongoLedgerStore
from services.gateway.reports.catalog import REPORT_NAMES
from shared.ids import CompanyId
from shared.mongo import Document
from tests.gateway_support import bearer_client, gateway_settings, in_process_gateway, running
from tests.report_books import ledger_entries, posted, store_chart

pytestmark = pytest.mark.integration
ANN, BOB, PASSWORD = "ann@firm.example", "bob@firm.example", "correct horse battery"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Api:
    ann: httpx.AsyncClient
    bob: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    company: str
    unsynced: str


def dashboard_row(accountant: str, company: str) -> Document:
    return {
        "_id": f"{accountant}|{company}",
        "accountant_id": accountant,
        "company_id": company,
        "company_name": "Cronus & Sons",
        "client_name": "Cronus",
        "time_zone": "Europe/London",
    }


@pytest.fixture
async def api(mongo_server: MongoServer, mongo_db: AsyncDatabase[Document]) -> AsyncIterator[Api]:
    """Ann is granted a company with synced books and one never synced; Bob is granted nothing."""
    company, unsynced = CompanyId(f"c-{uuid.uuid4().hex[:8]}"), f"c-{uuid.uuid4().hex[:8]}"
    await mongo_db["dashboard_rows"].insert_many([dashboard_row(ANN, company), dashboard_row(ANN, unsynced)])
    await store_chart(mongo_db, company)
    await MongoLedgerStore(mongo_db).add_entries([posted(company, 1, ledger_entries())])
    app = in_process_gateway(
        gateway_settings(mongo_server.url, mongo_db.name, {ANN: PASSWORD, BOB: PASSWORD})
    )
    async with running(app) as anonymous:
        ann, bob = await bearer_client(app, ANN, PASSWORD), await bearer_client(app, BOB, PASSWORD)
        try:
            yield Api(ann, bob, anonymous, company, unsynced)
        finally:
            await ann.aclose()
            await bob.aclose()


async def test_granted_accountant_downloads_every_workbook_and_the_statements_balance(api: Api) -> None:
    listed = (await api.ann.get(f"/api/v1/companies/{api.company}/reports")).json()["reports"]
    assert [r["name"] for r in listed] == list(REPORT_NAMES)

    response = await api.ann.get(listed[0]["url"], params={"period_end": "2026-06-30"})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert (
        'filename="cronus-sons-financial-statements-2026-06-30.xlsx"'
        in response.headers["content-disposition"]
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content), data_only=True)
    assert len(book.sheetnames) == 6
    sheet = book["Balance sheet"]
    differences = [
        sheet[f"C{r}"].value
        for r in range(1, sheet.max_row + 1)
        if sheet[f"B{r}"].value and str(sheet[f"B{r}"].value).startswith("Difference")
    ]
    assert differences == [0]
    assert sheet["A4"].value is None
    for report in listed[1:]:
        alone = await api.ann.get(report["url"])
        assert alone.status_code == 200, report["name"]
        assert len(openpyxl.load_workbook(io.BytesIO(alone.content)).sheetnames) == 1


async def test_accountant_cannot_read_reports_of_a_company_they_were_not_granted(api: Api) -> None:
    for path in (
        f"/api/v1/companies/{api.company}/reports",
        f"/api/v1/companies/{api.company}/reports/balance-sheet.xlsx",
    ):
        not_granted = await api.bob.get(path)
        missing = await api.bob.get(path.replace(api.company, "no-such-company"))
        assert not_granted.status_code == missing.status_code == 404
        assert not_granted.json()["detail"] == missing.json()["detail"]
        assert (await api.anonymous.get(path)).status_code == 401


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("reports/profit.xlsx", "name"),
        ("reports/balance-sheet.xlsx?period_end=2026-13-01", "period_end"),
        ("reports/balance-sheet.xlsx?period_end=last-month", "period_end"),
    ],
)
async def test_bad_report_name_or_period_gets_a_422_naming_the_field(api: Api, path: str, field: str) -> None:
    response = await api.ann.get(f"/api/v1/companies/{api.company}/{path}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in {error["field"] for error in response.json()["errors"]}


async def test_a_company_whose_ledger_was_never_synced_says_to_wait_for_its_first_sync(api: Api) -> None:
    response = await api.ann.get(f"/api/v1/companies/{api.unsynced}/reports/trial-balance.xlsx")
    assert response.status_code == 409
    assert "first sync" in response.json()["detail"]
