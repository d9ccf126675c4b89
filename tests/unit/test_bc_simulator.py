"""The Business Central simulator answers like BC's API v2.0 and its control API works."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest

from deploy.local.bc_simulator import (
    SimulatedBooks,
    SimulatorSettings,
    SimulatorState,
    create_app,
    generate_books,
)
from deploy.local.bc_simulator.odata import encode_json

TODAY = date(2026, 11, 25)
SCOPE = "https://api.businesscentral.dynamics.com/.default"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def books() -> SimulatedBooks:
    return generate_books(seed=7, tenants=2, companies_per_tenant=2, today=TODAY)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(books: SimulatedBooks, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(books, SimulatorSettings(page_size=1000), clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bc.test") as http:
        yield http


async def first_company(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/_simulator/companies")
    assert response.status_code == 200
    info: dict[str, Any] = response.json()[0]
    return info


async def request_token(
    client: httpx.AsyncClient, info: dict[str, Any], secret: str | None = None
) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_id": "accountant-hub",
        "client_secret": "local-secret" if secret is None else secret,
        "scope": SCOPE,
    }
    return await client.post(info["tokenUrl"], data=form)


async def bearer(client: httpx.AsyncClient, info: dict[str, Any]) -> dict[str, str]:
    response = await request_token(client, info)
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def get_all(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> list[Any]:
    """Follow @odata.nextLink to the end; amounts parsed as Decimal straight from the text."""
    rows: list[Any] = []
    next_url: str | None = url
    while next_url is not None:
        response = await client.get(next_url, headers=headers)
        assert response.status_code == 200, response.text
        page = json.loads(response.text, parse_float=Decimal)
        rows.extend(page["value"])
        next_url = page.get("@odata.nextLink")
    return rows


async def test_token_is_issued_for_the_configured_client_and_opens_the_api(
    client: httpx.AsyncClient,
) -> None:
    info = await first_company(client)
    token = (await request_token(client, info)).json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await client.get(info["apiUrl"] + "/salesInvoices", headers=headers)).status_code == 200


async def test_wrong_client_secret_gets_an_oauth_error(client: httpx.AsyncClient) -> None:
    response = await request_token(client, await first_company(client), secret="guess")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic dXNlcjpwdw=="])
async def test_api_refuses_requests_without_a_valid_token(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    info = await first_company(client)
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.get(info["apiUrl"] + "/salesInvoices", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "Authentication_InvalidCredentials"


async def test_expired_token_is_refused(client: httpx.AsyncClient, clock: FakeClock) -> None:
    info = await first_company(client)
    headers = await bearer(client, info)
    clock.now += timedelta(seconds=3600)
    response = await client.get(info["apiUrl"] + "/salesInvoices", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "Authentication_InvalidCredentials"


async def test_token_of_one_tenant_does_not_open_another(client: httpx.AsyncClient) -> None:
    infos = (await client.get("/_simulator/companies")).json()
    other = next(i for i in infos if i["tenantId"] != infos[0]["tenantId"])
    response = await client.get(other["apiUrl"], headers=await bearer(client, infos[0]))
    assert response.status_code == 401


async def test_companies_list_has_bc_shape(client: httpx.AsyncClient, books: SimulatedBooks) -> None:
    info = await first_company(client)
    url = info["apiUrl"].rsplit("/", 1)[0] + "/companies"
    body = (await client.get(url, headers=await bearer(client, info))).json()
    assert body["@odata.context"].endswith("/api/v2.0/$metadata#companies")
    assert "@odata.nextLink" not in body
    expected = {str(c.company.id) for c in books.tenant(books.tenants[0].id).companies}
    assert {c["id"] for c in body["value"]} == expected
    for company in body["value"]:
        assert company["@odata.etag"].startswith('W/"')
        assert company["displayName"] == company["name"] != ""
        assert company["systemModifiedAt"].endswith("Z")


async def test_next_links_page_through_every_invoice_exactly_once(
    client: httpx.AsyncClient, books: SimulatedBooks
) -> None:
    info = await first_company(client)
    headers = await bearer(client, info) | {"Prefer": "odata.maxpagesize=7"}
    first = await client.get(info["apiUrl"] + "/salesInvoices", headers=headers)
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=7"
    assert len(first.json()["value"]) == 7
    assert first.json()["@odata.nextLink"].startswith("http://bc.test/v2.0/")
    rows = await get_all(client, info["apiUrl"] + "/salesInvoices", headers)
    expected = books.company(UUID(info["companyId"])).sales_invoices
    assert sorted(r["id"] for r in rows) == sorted(str(i.id) for i in expected)
    stamps = [(r["lastModifiedDateTime"], r["id"]) for r in rows]
    assert stamps == sorted(stamps)


async def test_top_limits_the_total_across_pages(client: httpx.AsyncClient) -> None:
    info = await first_company(client)
    headers = await bearer(client, info) | {"Prefer": "odata.maxpagesize=4"}
    rows = await get_all(client, info["apiUrl"] + "/salesInvoices?$top=10&$skip=3", headers)
    everything = await get_all(client, info["apiUrl"] + "/salesInvoices", headers)
    assert [r["id"] for r in rows] == [r["id"] for r in everything[3:13]]


async def test_filter_on_last_modified_returns_only_later_changes(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    info = await first_company(client)
    headers = await bearer(client, info)
    url = info["apiUrl"] + "/salesInvoices"
    before = await get_all(client, url, headers)
    watermark = max(r["lastModifiedDateTime"] for r in before)
    since = f"{url}?$filter=lastModifiedDateTime gt {watermark}"
    assert await get_all(client, since, headers) == []
    changed = before[0]["id"]
    patch = await client.patch(
        f"/_simulator/companies/{info['companyId']}/salesInvoices/{changed}",
        json={"dueDate": "2026-12-31"},
    )
    assert patch.status_code == 200, patch.text
    later = await get_all(client, since, headers)
    assert [(r["id"], r["dueDate"]) for r in later] == [(changed, "2026-12-31")]
    at_stamp = f"{url}?$filter=lastModifiedDateTime ge {later[0]['lastModifiedDateTime']}"
    assert [r["id"] for r in await get_all(client, at_stamp, headers)] == [changed]


@pytest.mark.parametrize(
    "bad_filter",
    [
        "lastModifiedDateTime lt 2026-11-25T10:00:00Z",
        "lastModifiedDateTime gt 2026-11-25",
        "lastModifiedDateTime gt 2026-11-25T10:00:00+01:00",
        "lastModifiedDateTime gt 2026-13-45T10:00:00Z",
        "status eq 'Open'",
        "dueDate gt 2026-11-25T10:00:00Z",
    ],
)
async def test_a_filter_the_simulator_cannot_parse_is_a_400(
    client: httpx.AsyncClient, bad_filter: str
) -> None:
    info = await first_company(client)
    response = await client.get(
        info["apiUrl"] + "/salesInvoices",
        params={"$filter": bad_filter},
        headers=await bearer(client, info),
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"


async def test_amounts_survive_the_json_round_trip_exactly(
    client: httpx.AsyncClient, books: SimulatedBooks
) -> None:
    info = await first_company(client)
    rows = await get_all(client, info["apiUrl"] + "/salesInvoices", await bearer(client, info))
    expected = {str(i.id): i for i in books.company(UUID(info["companyId"])).sales_invoices}
    for row in rows:
        invoice = expected[row["id"]]
        assert str(row["totalAmountIncludingTax"]) == str(invoice.total_amount_including_tax)
        assert str(row["remainingAmount"]) == str(invoice.remaining_amount)
    assert encode_json({"a": [Decimal("10.10"), Decimal("0.1") + Decimal("0.2")]}) == ('{"a":[10.10,0.3]}')


async def invoice_with_status(client: httpx.AsyncClient, status: str) -> tuple[str, dict[str, Any]]:
    info = await first_company(client)
    rows = await get_all(client, info["apiUrl"] + "/salesInvoices", await bearer(client, info))
    return info["companyId"], next(r for r in rows if r["status"] == status)


async def test_make_overdue_turns_a_paid_invoice_into_an_overdue_one(
    client: httpx.AsyncClient,
) -> None:
    company_id, invoice = await invoice_with_status(client, "Paid")
    response = await client.post(
        f"/_simulator/companies/{company_id}/salesInvoices/{invoice['id']}/make-overdue",
        params={"today": "2026-11-25"},
    )
    changed = json.loads(response.text, parse_float=Decimal)
    assert (changed["status"], changed["dueDate"]) == ("Open", "2026-11-24")
    assert changed["remainingAmount"] > 0
    assert changed["lastModifiedDateTime"] > invoice["lastModifiedDateTime"]
    assert changed["@odata.etag"] != invoice["@odata.etag"]


async def test_pay_settles_an_open_invoice(client: httpx.AsyncClient) -> None:
    company_id, invoice = await invoice_with_status(client, "Open")
    url = f"/_simulator/companies/{company_id}/salesInvoices/{invoice['id']}/pay"
    changed = (await client.post(url)).json()
    assert (changed["status"], changed["remainingAmount"]) == ("Paid", 0)
    assert changed["lastModifiedDateTime"] > invoice["lastModifiedDateTime"]
    assert (await client.post(url)).status_code == 409


async def test_patch_refuses_an_amount_above_the_total(client: httpx.AsyncClient) -> None:
    company_id, invoice = await invoice_with_status(client, "Open")
    too_much = str(Decimal(str(invoice["totalAmountIncludingTax"])) + Decimal("0.01"))
    url = f"/_simulator/companies/{company_id}/salesInvoices/{invoice['id']}"
    assert (await client.patch(url, json={"remainingAmount": too_much})).status_code == 422
    assert (await client.patch(url, json={"remainingAmount": 1.5})).status_code == 422


def test_changes_in_the_same_millisecond_get_increasing_stamps(books: SimulatedBooks) -> None:
    clock = FakeClock()
    clock.now = datetime(2030, 1, 1, tzinfo=UTC)
    state = SimulatorState(books, clock)
    company = next(books.companies())
    invoice = company.sales_invoices[0]
    first = state.update_sales_invoice(company.company.id, invoice.id, due_date=TODAY)
    second = state.update_sales_invoice(company.company.id, invoice.id, due_date=TODAY)
    assert first.last_modified_date_time == clock.now
    assert second.last_modified_date_time == clock.now + timedelta(milliseconds=1)


async def test_a_failing_company_answers_its_error_and_others_do_not(
    client: httpx.AsyncClient,
) -> None:
    infos = (await client.get("/_simulator/companies")).json()
    failing, healthy = infos[0], infos[1]
    headers = await bearer(client, failing)
    fail_url = f"/_simulator/companies/{failing['companyId']}/fail"
    assert (await client.post(fail_url, json={"status_code": 503})).status_code == 200
    response = await client.get(failing["apiUrl"] + "/salesInvoices", headers=headers)
    assert response.status_code == 503
    assert "message" in response.json()["error"]
    healthy_headers = await bearer(client, healthy)
    assert (await client.get(healthy["apiUrl"], headers=healthy_headers)).status_code == 200
    assert (await client.post(fail_url, json=None)).json()["failingStatusCode"] is None
    assert (await client.get(failing["apiUrl"], headers=headers)).status_code == 200


async def test_unknown_company_is_a_404(client: httpx.AsyncClient) -> None:
    info = await first_company(client)
    url = info["apiUrl"].split("companies(")[0] + f"companies({'0' * 8}-0000-4000-8000-{'0' * 12})"
    response = await client.get(url + "/salesInvoices", headers=await bearer(client, info))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "BadRequest_NotFound"


def test_books_are_deterministic_for_a_seed_and_consistent(books: SimulatedBooks) -> None:
    assert generate_books(seed=7, tenants=2, companies_per_tenant=2, today=TODAY) == books
    assert generate_books(seed=8, tenants=2, companies_per_tenant=2, today=TODAY) != books
    for company in books.companies():
        ZoneInfo(books.company_time_zone(company.company.id))
        assert 10 <= len(company.customers) <= 30
        assert 20 <= len(company.sales_invoices) <= 60
        for invoice in company.sales_invoices:
            assert 0 <= invoice.remaining_amount <= invoice.total_amount_including_tax
            assert invoice.status != "Paid" or invoice.remaining_amount == 0
            assert invoice.total_amount_including_tax.as_tuple().exponent == -2
            assert TODAY - timedelta(days=60) <= invoice.due_date <= TODAY + timedelta(days=45)
