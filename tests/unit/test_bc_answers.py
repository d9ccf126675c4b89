"""Reading BC's answers: a page cut off anywhere reads as a truncated page (in the same words wherever
it was cut), other bodies as not JSON; a GET whose answer was unusable is asked again, a POST is not."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from deploy.local.bc_simulator import SimulatorSettings, create_app, generate_books
from deploy.local.bc_simulator.client import SCOPE
from services.sync.connectors import bc_client
from services.sync.connectors.bc_answers import UnusableAnswerError, json_object
from services.sync.connectors.bc_client import MAX_ATTEMPTS, BusinessCentralClient
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.settings import ClientConnection

PAGE_URL = "http://bc.test/v2.0/t/production/api/v2.0/companies(0000)/salesInvoices?$top=3"
JSON = {"content-type": "application/json"}
CUT_WORDS = "the client's system sent an incomplete answer for salesInvoices (truncated page: the JSON stops"


async def a_real_page() -> bytes:
    """Page 1 of a simulated company's sales invoices (3 a page), as the simulator sends it."""
    books = generate_books(seed=9, tenants=1, companies_per_tenant=1, today=date(2026, 11, 25))
    settings = SimulatorSettings(page_size=3)
    transport = httpx.ASGITransport(app=create_app(books, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://bc.test") as http:
        (company,) = (await http.get("/_simulator/companies")).json()
        form = {"grant_type": "client_credentials", "client_id": settings.client_id, "scope": SCOPE}
        token = await http.post(company["tokenUrl"], data={**form, "client_secret": settings.client_secret})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        page = await http.get(f"{company['apiUrl']}/salesInvoices", headers=headers)
    assert page.status_code == 200
    return page.content


def answer(body: bytes, content_type: str = "application/json; charset=utf-8") -> httpx.Response:
    return httpx.Response(
        200, content=body, headers={"content-type": content_type}, request=httpx.Request("GET", PAGE_URL)
    )


async def test_a_page_cut_at_any_byte_reads_as_a_truncated_page_in_the_same_words() -> None:
    page = await a_real_page()
    words: set[str] = set()

    for length in range(1, len(page)):
        with pytest.raises(UnusableAnswerError) as cut:
            json_object(answer(page[:length]))
        words.add(str(cut.value))

    assert len(page) > 1000
    assert len(words) == 1, "the same fault reads the same wherever it was cut (announced once)"
    assert words.pop().startswith(CUT_WORDS)
    assert len(json_object(answer(page))["value"]) == 3


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (
            b"<html><body>Service temporarily unavailable</body></html>",
            "text/html",
            "was not JSON (text/html",
        ),
        (b'{"value": [}', "application/json", "was not JSON (application/json"),
        (b'[{"id": 1}]', "application/json", "was JSON but not an object"),
        (b'{"value": [{"id": 1', "text/plain", "was not JSON (text/plain"),
    ],
)
def test_a_body_that_is_not_a_cut_json_object_reads_as_not_json(
    body: bytes, content_type: str, says: str
) -> None:
    with pytest.raises(
        UnusableAnswerError, match=r"^HTTP 200 from the client's system for salesInvoices"
    ) as e:
        json_object(answer(body, content_type))

    assert says in str(e.value)
    assert str(e.value).endswith("check the network or proxy between the hub and that system")


@pytest.mark.parametrize(("method", "sent"), [("GET", MAX_ATTEMPTS), ("POST", 1)])
async def test_an_unusable_answer_is_asked_again_for_a_get_but_not_for_a_post_the_server_acted_on(
    method: str, sent: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests: list[httpx.Request] = []

    def client_system(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        requests.append(request)
        return httpx.Response(200, content=b'{"value": [{"id": "a"}, {"id"', headers=JSON)

    monkeypatch.setattr(bc_client, "_exponential", lambda _attempt: 0.0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(client_system)) as http:
        client = BusinessCentralClient(http, connection(), 5, SlidingWindowBudget(100, 1))
        url = f"{client.api_root}/subscriptions"
        with pytest.raises(UnusableAnswerError, match="truncated page"):
            await (client.get_json(url) if method == "GET" else client.send_json(method, url, {}))

    assert len(requests) == sent


def connection(**overrides: Any) -> ClientConnection:
    fields: dict[str, Any] = {
        "client_id": "contoso",
        "client_name": "Contoso",
        "tenant": "t",
        "environment": "production",
        "api_base_url": "http://bc.test",
        "login_base_url": "http://bc.test",
        "oauth_client_id": "hub",
        "oauth_client_secret": SecretStr("s"),
    }
    return ClientConnection(**(fields | overrides))
