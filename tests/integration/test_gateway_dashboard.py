"""The dashboard API against the real MongoDB server: filters, sorts, pages, columns, and only your rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.mongo import MongoServer
from services.gateway.main import create_app
from services.gateway.settings import AccountSeed, GatewaySettings
from shared.mongo import Document
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration
ME, OTHER, PASSWORD = "me@firm.example", "other@firm.example", "correct-horse-battery"


def row(accountant: str, n: int, **overrides: Any) -> Document:
    """A dashboard row as the aggregator writes it."""
    doc: Document = {
        "_id": f"{accountant}|c{n:03d}",
        "accountant_id": accountant,
        "company_id": f"c{n:03d}",
        "client_name": f"Client {n % 3}",
        "company_name": f"Company {n:03d} Ltd",
        "as_of": "2026-11-25",
        "overdue_sales": [{"currency": "GBP", "amount": Decimal("10.00"), "count": n % 4}] if n % 4 else [],
        "overdue_sales_count": n % 4,
        "open_sales_documents": {
            "quotes": n % 2,
            "orders": 0,
            "credit_memos": 0,
            "draft_invoices": 0,
            "total": n % 2,
        },
        "purchase_due_next_week": [],
        "purchase_due_next_week_count": 0,
        "overdue_purchases": [],
        "overdue_purchases_count": n % 5,
        "cash": [{"currency": "GBP", "amount": Decimal("5.00"), "count": 1}],
        "last_synced_at": datetime.now(UTC) - timedelta(minutes=n) + timedelta(seconds=30),
        "last_sync_error": "HTTP 503" if n % 7 == 0 else None,
        "web_url": None,
    }
    doc.update(overrides)
    return doc


@pytest.fixture
async def api(
    mongo_server: MongoServer, mongo_db: AsyncDatabase[Document]
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway in this process, signed in as ME, over 25 rows of mine and 5 of someone else's."""
    await mongo_db["dashboard_rows"].insert_many(
        [row(ME, n) for n in range(25)] + [row(OTHER, n) for n in range(5)]
    )
    settings = GatewaySettings(
        common=ServiceSettings(mongo_url=mongo_server.url, mongo_database=mongo_db.name),
        seed_accounts=(AccountSeed(email=ME, password=PASSWORD),),
        secure_cookies=False,
        kafka_enabled=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            token = (await client.post("/api/v1/session", json={"email": ME, "password": PASSWORD})).json()[
                "token"
            ]
            client.headers["Authorization"] = f"Bearer {token}"
            yield client


async def all_pages(api: httpx.AsyncClient, **params: Any) -> list[Document]:
    rows: list[Document] = []
    cursor = None
    for _ in range(50):
        response = await api.get(
            "/api/v1/dashboard", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        rows += page["rows"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows
    raise AssertionError("pagination never ended")


async def test_pages_of_a_descending_sort_cover_every_row_once_in_order(api: httpx.AsyncClient) -> None:
    rows = await all_pages(api, sort="-overdue_sales_count", limit=4)
    assert sorted(r["company_id"] for r in rows) == [f"c{n:03d}" for n in range(25)]
    counts = [r["overdue_sales_count"] for r in rows]
    assert counts == sorted(counts, reverse=True)


async def test_rows_of_other_accountants_never_appear(
    api: httpx.AsyncClient, mongo_db: AsyncDatabase[Document]
) -> None:
    rows = await all_pages(api, limit=500)
    assert len(rows) == 25
    assert {r["company_id"] for r in rows} <= {f"c{n:03d}" for n in range(25)}


async def test_filters_combine_client_search_nonzero_figures_and_failed_syncs(api: httpx.AsyncClient) -> None:
    rows = await all_pages(api, client="Client 1", has=["overdue_sales"], limit=500)
    assert rows
    assert all(r["client_name"] == "Client 1" and r["overdue_sales_count"] > 0 for r in rows)
    assert [r["company_id"] for r in await all_pages(api, q="company 007 LTD")] == ["c007"]
    assert {r["company_id"] for r in await all_pages(api, failed=True)} == {"c000", "c007", "c014", "c021"}


async def test_stale_filter_keeps_rows_not_synced_recently(api: httpx.AsyncClient) -> None:
    rows = await all_pages(api, stale_minutes=20, limit=500)
    assert {r["company_id"] for r in rows} == {f"c{n:03d}" for n in range(21, 25)}


async def test_search_text_is_literal_not_a_pattern(api: httpx.AsyncClient) -> None:
    assert await all_pages(api, q=".*") == []


async def test_chosen_columns_leave_the_others_out(api: httpx.AsyncClient) -> None:
    (first, *_) = await all_pages(api, columns=["cash"], limit=1)
    assert first["cash"] == [{"currency": "GBP", "amount": "5.00", "count": 1}]
    assert first["overdue_sales"] is None
    assert first["open_sales_documents"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "amount"}, "sort"),
        ({"columns": "everything"}, "columns"),
        ({"has": "luck"}, "has"),
        ({"limit": 0}, "limit"),
    ],
)
async def test_bad_query_parameter_gets_a_422_naming_it(
    api: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    response = await api.get("/api/v1/dashboard", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in {error["field"] for error in response.json()["errors"]}


async def test_cursor_from_another_sort_is_refused_with_what_to_do(api: httpx.AsyncClient) -> None:
    page = (await api.get("/api/v1/dashboard", params={"limit": 2})).json()
    response = await api.get(
        "/api/v1/dashboard", params={"limit": 2, "sort": "-company_name", "cursor": page["next_cursor"]}
    )
    assert response.status_code == 400
    assert "start again" in response.json()["detail"]
    garbage = await api.get("/api/v1/dashboard", params={"cursor": uuid.uuid4().hex})
    assert garbage.status_code == 400
