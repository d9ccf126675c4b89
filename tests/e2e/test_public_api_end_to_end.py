"""The public API through every service: refresh with progress, the event stream, sign-up and client
registration, and the authorization matrix between two accountants of two firms."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from deploy.local.bc_simulator.client import read_sales_invoices
from deploy.local.stack import Stack
from shared.dates import company_today
from tests.e2e.conftest import signed_in
from tests.gateway_support import sse_events
from tests.waiting import eventually

pytestmark = pytest.mark.e2e
Json = dict[str, Any]


async def job_when_finished(api: httpx.AsyncClient, job_id: str) -> Json:
    async def read() -> Json:
        body: Json = (await api.get(f"/api/v1/refresh/{job_id}")).json()
        return body

    return await eventually(read, lambda job: job["state"] == "finished", within=60)


async def my_company_ids(api: httpx.AsyncClient) -> set[str]:
    rows = (await api.get("/api/v1/dashboard", params={"limit": 500})).json()["rows"]
    return {r["company_id"] for r in rows}


async def test_refresh_all_reports_every_company_done(accountant_api: httpx.AsyncClient) -> None:
    companies = await eventually(lambda: my_company_ids(accountant_api), bool)
    started = await accountant_api.post("/api/v1/refresh", json={"scope": "all"})
    assert started.status_code == 202, started.text
    job = await job_when_finished(accountant_api, started.json()["id"])
    assert (job["total"], job["done"], job["failed"], job["pending"]) == (
        len(companies),
        len(companies),
        0,
        0,
    )
    assert {c["company_id"] for c in job["companies"]} == companies


async def test_a_failing_company_is_reported_failed_with_why(
    accountant_api: httpx.AsyncClient, simulator: httpx.AsyncClient
) -> None:
    company = (await simulator.get("/companies")).json()[1]["companyId"]
    await eventually(lambda: my_company_ids(accountant_api), lambda ids: company in ids)
    (await simulator.post(f"/companies/{company}/fail", json={"status_code": 500})).raise_for_status()
    try:
        started = await accountant_api.post(
            "/api/v1/refresh", json={"scope": "company", "company_ids": [company]}
        )
        job = await job_when_finished(accountant_api, started.json()["id"])
    finally:
        (await simulator.post(f"/companies/{company}/fail", json={"status_code": None})).raise_for_status()
    (only,) = job["companies"]
    assert only["state"] == "failed"
    assert "500" in only["error"]


async def test_the_stream_pushes_job_progress_and_changed_rows(
    stack: Stack, accountant_api: httpx.AsyncClient, simulator: httpx.AsyncClient
) -> None:
    company = (await simulator.get("/companies")).json()[-1]
    cid = company["companyId"]
    await eventually(lambda: my_company_ids(accountant_api), lambda ids: cid in ids)
    today = company_today(company["timeZone"], datetime.now(UTC)).isoformat()
    invoice = next(
        i for i in await read_sales_invoices(company) if i["status"] == "Open" and i["dueDate"] >= today
    )
    headers = {"Authorization": accountant_api.headers["Authorization"]}
    job_finished = rows_changed = False
    async with (
        httpx.AsyncClient(base_url=stack.gateway_url, timeout=httpx.Timeout(10, read=60)) as client,
        client.stream("GET", "/api/v1/stream", headers=headers) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        job = (
            await accountant_api.post("/api/v1/refresh", json={"scope": "company", "company_ids": [cid]})
        ).json()
        async with asyncio.timeout(90):
            async for name, data in sse_events(response.aiter_lines()):
                if (
                    name == "job"
                    and data["id"] == job["id"]
                    and data["state"] == "finished"
                    and not job_finished
                ):
                    job_finished = True
                    made = await simulator.post(
                        f"/companies/{cid}/salesInvoices/{invoice['id']}/make-overdue"
                    )
                    made.raise_for_status()
                elif name == "rows" and job_finished and cid in data["company_ids"]:
                    rows_changed = True
                    break
    assert job_finished
    assert rows_changed


async def test_a_colleague_signs_up_registers_a_client_and_sees_its_companies(
    stack: Stack, simulator: httpx.AsyncClient
) -> None:
    companies = (await simulator.get("/companies")).json()
    tenant = companies[0]["tenantId"]
    environment = companies[0]["environment"]
    expected = {c["companyId"] for c in companies if c["tenantId"] == tenant}
    email = f"colleague-{uuid.uuid4().hex[:6]}@accountant.example"
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as anonymous:
        signed_up = await anonymous.post(
            "/api/v1/accounts", json={"email": email, "password": "a-long-password"}
        )
    assert signed_up.status_code == 201, signed_up.text
    api = await signed_in(stack.gateway_url, email, "a-long-password")
    try:
        body = {
            "client_name": "Registered client",
            "tenant": tenant,
            "environment": environment,
            "client_id": "accountant-hub",
            "client_secret": "local-secret",
        }
        wrong = (await api.post("/api/v1/clients", json={**body, "client_secret": "not-the-secret"})).json()
        registered = await api.post("/api/v1/clients", json=body)
        assert registered.status_code == 202, registered.text
        assert "secret" not in registered.text.replace("client_secret", "")

        async def read(registration: str) -> Json:
            found: Json = (await api.get(f"/api/v1/clients/{registration}")).json()
            return found

        connected = await eventually(lambda: read(registered.json()["id"]), lambda c: c["state"] != "pending")
        assert (connected["state"], connected["companies"]) == ("connected", len(expected))
        failed = await eventually(lambda: read(wrong["id"]), lambda c: c["state"] != "pending")
        assert failed["state"] == "failed"
        assert "sign-in" in failed["error"]
        listed = (await api.get("/api/v1/clients")).json()["clients"]
        assert {c["id"] for c in listed} == {wrong["id"], connected["id"]}
        assert "local-secret" not in json.dumps(listed)
        await eventually(lambda: my_company_ids(api), lambda ids: ids == expected, within=60)
    finally:
        await api.aclose()


async def test_authorization_matrix_two_accountants_of_two_firms_never_see_each_others_data(
    accountant_api: httpx.AsyncClient, outsider_api: httpx.AsyncClient, simulator: httpx.AsyncClient
) -> None:
    companies = (await simulator.get("/companies")).json()
    company = companies[0]
    cid, name = company["companyId"], company["name"]
    await eventually(lambda: my_company_ids(accountant_api), lambda ids: cid in ids)
    view = (await accountant_api.post("/api/v1/views", json={"name": "Mine", "columns": ["cash"]})).json()
    job = (
        await accountant_api.post("/api/v1/refresh", json={"scope": "company", "company_ids": [cid]})
    ).json()
    their_view = (
        await outsider_api.post("/api/v1/views", json={"name": "Theirs", "columns": ["cash"]})
    ).json()
    their_job = (await outsider_api.post("/api/v1/refresh", json={"scope": "all"})).json()
    assert their_job["total"] == 0
    their_client = (
        await outsider_api.post(
            "/api/v1/clients",
            json={"client_name": "X", "tenant": "no-such-tenant", "client_id": "a", "client_secret": "b"},
        )
    ).json()

    attempts: list[tuple[httpx.AsyncClient, str, str, Json | None]] = [
        (outsider_api, "GET", f"/api/v1/companies/{cid}", None),
        (outsider_api, "GET", f"/api/v1/companies/{cid}/access", None),
        (
            outsider_api,
            "POST",
            f"/api/v1/companies/{cid}/access",
            {"accountant": "outsider@other-firm.example"},
        ),
        (outsider_api, "DELETE", f"/api/v1/companies/{cid}/access/demo@accountant.example", None),
        (outsider_api, "GET", f"/api/v1/companies/{cid}/reports", None),
        (outsider_api, "POST", "/api/v1/refresh", {"scope": "company", "company_ids": [cid]}),
        (outsider_api, "POST", "/api/v1/refresh", {"scope": "selected", "company_ids": [cid]}),
        (outsider_api, "POST", "/api/v1/refresh", {"scope": "client", "client": company["tenantName"]}),
        (outsider_api, "GET", f"/api/v1/refresh/{job['id']}", None),
        (outsider_api, "PATCH", f"/api/v1/views/{view['id']}", {"name": "stolen"}),
        (outsider_api, "DELETE", f"/api/v1/views/{view['id']}", None),
        (outsider_api, "GET", f"/api/v1/dashboard?view={view['id']}", None),
        (accountant_api, "GET", f"/api/v1/refresh/{their_job['id']}", None),
        (accountant_api, "PATCH", f"/api/v1/views/{their_view['id']}", {"name": "stolen"}),
        (accountant_api, "DELETE", f"/api/v1/views/{their_view['id']}", None),
        (accountant_api, "GET", f"/api/v1/clients/{their_client['id']}", None),
    ]
    for api, method, path, body in attempts:
        response = await api.request(method, path, json=body)
        assert response.status_code in (403, 404), (method, path, response.status_code, response.text)
        assert cid not in response.text, (method, path)
        assert name not in response.text, (method, path)
    assert cid not in await my_company_ids(outsider_api)
    assert (await outsider_api.get("/api/v1/dashboard", params={"client": company["tenantName"]})).json()[
        "rows"
    ] == []
    assert view["id"] not in (await outsider_api.get("/api/v1/views")).text
    assert their_client["id"] not in (await accountant_api.get("/api/v1/clients")).text
    assert "Mine" in {v["name"] for v in (await accountant_api.get("/api/v1/views")).json()["views"]}
