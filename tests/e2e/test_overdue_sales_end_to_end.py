"""From a change in the client's books to the accountant's dashboard, through every service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from deploy.local.bc_simulator.client import read_sales_invoices
from deploy.local.stack import Stack
from shared.dates import company_today
from tests.waiting import eventually

pytestmark = pytest.mark.e2e
Row = dict[str, Any]


async def dashboard(api: httpx.AsyncClient) -> dict[str, Row]:
    response = await api.get("/api/v1/dashboard", params={"limit": 500})
    response.raise_for_status()
    return {row["company_id"]: row for row in response.json()["rows"]}


async def row_when(api: httpx.AsyncClient, company_id: str, accept: Callable[[Row], bool]) -> Row:
    """The company's row once `accept` holds."""
    rows = await eventually(
        lambda: dashboard(api), lambda rows: company_id in rows and accept(rows[company_id])
    )
    return rows[company_id]


def overdue(row: Row, currency: str) -> tuple[Decimal, int]:
    for figure in row["overdue_sales"]:
        if figure["currency"] == currency:
            return Decimal(figure["amount"]), figure["count"]
    return Decimal(0), 0


async def open_invoices(company: dict[str, Any]) -> list[dict[str, Any]]:
    """The company's Open, not yet due invoices, read from the BC API like the connector does."""
    return [i for i in await read_sales_invoices(company) if i["status"] == "Open"]


async def test_accountant_sees_every_granted_company(
    stack: Stack, accountant_api: httpx.AsyncClient, simulator: httpx.AsyncClient
) -> None:
    companies = (await simulator.get("/companies")).json()
    rows = await eventually(lambda: dashboard(accountant_api), lambda rows: len(rows) >= len(companies))
    assert set(rows) == {c["companyId"] for c in companies}
    for company in companies:
        row = rows[company["companyId"]]
        assert row["company_name"] == company["name"]
        assert row["client_name"] == company["tenantName"]
        assert row["last_sync_error"] is None


async def test_invoice_made_overdue_then_paid_shows_on_the_dashboard(
    stack: Stack, accountant_api: httpx.AsyncClient, simulator: httpx.AsyncClient
) -> None:
    company = (await simulator.get("/companies")).json()[0]
    cid, currency = company["companyId"], company["currencyCode"]
    before = overdue(await row_when(accountant_api, cid, lambda r: r["last_synced_at"] is not None), currency)
    invoice = next(
        i
        for i in await open_invoices(company)
        if i["currencyCode"] == currency and i["dueDate"] >= company_today_iso(company)
    )
    remaining = invoice["remainingAmount"]

    made = await simulator.post(f"/companies/{cid}/salesInvoices/{invoice['id']}/make-overdue")
    made.raise_for_status()
    row = await row_when(accountant_api, cid, lambda r: overdue(r, currency)[1] == before[1] + 1)
    assert overdue(row, currency) == (before[0] + remaining, before[1] + 1)

    paid = await simulator.post(f"/companies/{cid}/salesInvoices/{invoice['id']}/pay")
    paid.raise_for_status()
    row = await row_when(accountant_api, cid, lambda r: overdue(r, currency)[1] == before[1])
    assert overdue(row, currency) == before


async def test_failing_client_system_shows_the_error_and_keeps_the_last_figures(
    accountant_api: httpx.AsyncClient, simulator: httpx.AsyncClient
) -> None:
    company = (await simulator.get("/companies")).json()[-1]
    cid = company["companyId"]
    good = await row_when(accountant_api, cid, lambda r: r["last_synced_at"] is not None)
    (await simulator.post(f"/companies/{cid}/fail", json={"status_code": 500})).raise_for_status()
    try:
        failed = await row_when(accountant_api, cid, lambda r: r["last_sync_error"] is not None)
        assert "500" in failed["last_sync_error"]
        assert failed["overdue_sales"] == good["overdue_sales"]
    finally:
        (await simulator.post(f"/companies/{cid}/fail", json={"status_code": None})).raise_for_status()
    healed = await row_when(accountant_api, cid, lambda r: r["last_sync_error"] is None)
    assert healed["overdue_sales"] == good["overdue_sales"]


async def test_accountant_of_another_firm_sees_no_company(
    stack: Stack, accountant_api: httpx.AsyncClient, outsider_api: httpx.AsyncClient
) -> None:
    await eventually(lambda: dashboard(accountant_api), bool)
    assert await dashboard(outsider_api) == {}


async def test_dashboard_without_signing_in_is_refused(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as anonymous:
        response = await anonymous.get("/api/v1/dashboard")
    assert response.status_code == 401
    assert "Sign in" in response.json()["detail"]


def company_today_iso(company: dict[str, Any]) -> str:
    return company_today(company["timeZone"], datetime.now(UTC)).isoformat()


async def test_company_details_list_overdue_invoices_with_links_to_the_clients_system(
    accountant_api: httpx.AsyncClient, simulator: httpx.AsyncClient
) -> None:
    company = (await simulator.get("/companies")).json()[0]
    cid = company["companyId"]
    await row_when(accountant_api, cid, lambda r: r["overdue_sales_count"] > 0)
    response = await accountant_api.get(f"/api/v1/companies/{cid}")
    assert response.status_code == 200
    details = response.json()
    assert details["row"]["company_id"] == cid
    overdue = details["overdue_sales_invoices"]
    assert overdue
    assert all(item["number"] in item["web_url"].replace("%20", " ").replace("%27", "'") for item in overdue)
    assert [f["currency"] for f in details["forecast"]]


async def test_company_of_another_firm_answers_404_like_a_company_that_does_not_exist(
    outsider_api: httpx.AsyncClient, simulator: httpx.AsyncClient
) -> None:
    company = (await simulator.get("/companies")).json()[0]
    theirs = await outsider_api.get(f"/api/v1/companies/{company['companyId']}")
    missing = await outsider_api.get("/api/v1/companies/00000000-0000-0000-0000-000000000000")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


async def test_every_service_reports_metrics_prometheus_can_scrape(
    stack: Stack, accountant_api: httpx.AsyncClient
) -> None:
    await eventually(lambda: dashboard(accountant_api), bool)
    async with httpx.AsyncClient(timeout=10) as http:
        texts = {
            name: (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            for name, port in stack.ports.items()
        }
    assert (
        'hub_http_request_duration_seconds_count{method="GET",route="/api/v1/dashboard"' in texts["gateway"]
    )
    applied = [
        line for line in texts["aggregator"].splitlines() if line.startswith("hub_events_applied_total{")
    ]
    assert applied
    assert all(float(line.rsplit(" ", 1)[1]) >= 0 for line in applied)
    assert "hub_consumer_lag{" in texts["aggregator"]
    assert "hub_projection_age_seconds_bucket" in texts["aggregator"]
    assert 'hub_client_requests_total{status="200"}' in texts["sync"]
    assert 'hub_sync_duration_seconds_count{outcome="' in texts["sync"]
    sync_totals = {
        line.split(" ")[0]: float(line.rsplit(" ", 1)[1])
        for line in texts["sync"].splitlines()
        if not line.startswith("#") and " " in line
    }
    assert sync_totals["hub_sync_wait_seconds_count"] >= 1  # every pass says how long it waited
    assert sync_totals["hub_client_request_seconds_count"] >= 1  # every answer, how long it took
    assert (
        sync_totals["hub_client_request_queue_seconds_count"]
        == sync_totals["hub_client_request_seconds_count"]
    )
    assert "hub_http_request_duration_seconds" in texts["tasks"]
