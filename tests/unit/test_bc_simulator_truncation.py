"""The simulator's truncated-page fault, over real HTTP: a 200 JSON page cut half-way, either by the
connection closing before the promised length (a network cut) or with a length that matches the cut
(a proxy passing it on as complete); scheduled by `after`/`times`; other companies unaffected."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from deploy.local.bc_simulator import SimulatorSettings, create_app, generate_books
from deploy.local.bc_simulator.client import SCOPE
from tests.sync_http_support import served


@dataclass
class Sim:
    """The simulator over HTTP, a client with a bearer token, and its first tenant's two companies."""

    http: httpx.AsyncClient
    companies: list[dict[str, Any]]

    async def fail(self, company: dict[str, Any], **fault: Any) -> httpx.Response:
        return await self.http.post(f"/_simulator/companies/{company['companyId']}/fail", json=fault)

    def invoices_url(self, company: dict[str, Any]) -> str:
        return f"{company['apiUrl']}/salesInvoices"


@asynccontextmanager
async def simulator() -> AsyncIterator[Sim]:
    books = generate_books(seed=5, tenants=1, companies_per_tenant=2, today=date(2026, 11, 25))
    settings = SimulatorSettings(page_size=5)
    async with (
        served(create_app(books, settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        companies: list[dict[str, Any]] = (await http.get("/_simulator/companies")).json()
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
            "scope": SCOPE,
        }
        token = (await http.post(companies[0]["tokenUrl"], data=form)).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        yield Sim(http, companies)


async def read_until_cut(http: httpx.AsyncClient, url: str) -> tuple[httpx.Response, bytes, Exception | None]:
    """The response's head, the body bytes that arrived, and the error that ended the read, if any."""
    received = b""
    async with http.stream("GET", url) as response:
        try:
            async for chunk in response.aiter_raw():
                received += chunk
        except httpx.TransportError as error:
            return response, received, error
    return response, received, None


async def test_a_connection_cut_sends_half_the_page_then_closes_short_of_the_length_it_promised() -> None:
    async with simulator() as sim:
        company = sim.companies[0]
        assert (await sim.fail(company, truncated="connection", times=1)).status_code == 200

        response, received, error = await read_until_cut(sim.http, sim.invoices_url(company))
        whole = await sim.http.get(sim.invoices_url(company))  # `times=1`: healed now

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert int(response.headers["content-length"]) == len(whole.content), "it promises the whole page"
    assert received == whole.content[: len(whole.content) // 2]
    assert isinstance(error, httpx.RemoteProtocolError), "the client sees the connection close part-way"


async def test_a_proxy_cut_sends_half_the_page_framed_as_complete_json_that_stops_mid_array() -> None:
    async with simulator() as sim:
        company = sim.companies[0]
        assert (await sim.fail(company, truncated="body", times=1)).status_code == 200

        cut = await sim.http.get(sim.invoices_url(company))
        whole = await sim.http.get(sim.invoices_url(company))

    assert cut.status_code == 200
    assert cut.headers["content-type"].startswith("application/json")
    assert int(cut.headers["content-length"]) == len(cut.content) == len(whole.content) // 2
    assert whole.content.startswith(cut.content)
    assert b'"value":[{' in cut.content, "a page that looks right until it stops, mid-array"
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)
    assert len(json.loads(whole.content)["value"]) == 5


async def test_a_scheduled_truncation_spoils_only_the_answers_it_names_and_leaves_others_whole() -> None:
    async with simulator() as sim:
        broken, other = sim.companies
        assert (await sim.fail(broken, truncated="body", after=1, times=2)).status_code == 200

        answers = [await sim.http.get(sim.invoices_url(broken)) for _ in range(4)]
        neighbour = await sim.http.get(sim.invoices_url(other))

    whole = [len(a.content) for a in answers]
    assert [whole[0] // 2, whole[0] // 2] == whole[1:3], "after 1 good answer, 2 cut ones"
    assert whole[3] == whole[0], "then healed by itself"
    assert json.loads(neighbour.content)["value"], "another company is not affected"


async def test_a_truncation_until_healed_lasts_until_the_heal_call() -> None:
    async with simulator() as sim:
        company = sim.companies[0]
        await sim.fail(company, truncated="body")
        cut = [await sim.http.get(sim.invoices_url(company)) for _ in range(3)]
        await sim.http.post(f"/_simulator/companies/{company['companyId']}/fail", json=None)
        healed = await sim.http.get(sim.invoices_url(company))

    assert len({len(a.content) for a in cut}) == 1
    assert len(healed.content) == 2 * len(cut[0].content) + len(healed.content) % 2


@pytest.mark.parametrize(
    "fault",
    [
        {"truncated": "body", "status_code": 503},
        {"truncated": "body", "garbage": True},
        {"truncated": "sideways"},
        {"truncate": "body"},
        {"truncated": "body", "times": 0},
    ],
)
async def test_a_fault_request_the_simulator_cannot_follow_is_a_422(fault: dict[str, Any]) -> None:
    async with simulator() as sim:
        response = await sim.fail(sim.companies[0], **fault)

    assert response.status_code == 422, response.text
