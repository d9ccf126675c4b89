"""Saved views on the real MongoDB server: private to their owner, validated like the dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.mongo import MongoServer
from shared.mongo import Document
from tests.gateway_support import bearer_client, dashboard_row, gateway_settings, in_process_gateway, running

pytestmark = pytest.mark.integration
ME, OTHER, PASSWORD = "me@firm.example", "other@elsewhere.example", "correct-horse-battery"
VIEW: dict[str, Any] = {
    "name": "Overdue first",
    "columns": ["overdue_sales", "cash"],
    "filters": {"has": ["overdue_sales"], "client": "Client 1"},
    "sort": "-overdue_sales_count",
}


@pytest.fixture
async def apis(
    mongo_server: MongoServer, mongo_db: AsyncDatabase[Document]
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Me and an accountant of another firm, on one gateway, over six rows of mine."""
    await mongo_db["dashboard_rows"].insert_many([dashboard_row(ME, n) for n in range(6)])
    app = in_process_gateway(
        gateway_settings(mongo_server.url, mongo_db.name, {ME: PASSWORD, OTHER: PASSWORD})
    )
    async with running(app):
        mine, theirs = await bearer_client(app, ME, PASSWORD), await bearer_client(app, OTHER, PASSWORD)
        try:
            yield mine, theirs
        finally:
            await mine.aclose()
            await theirs.aclose()


async def test_a_saved_view_is_created_listed_renamed_and_deleted(
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    mine, _ = apis
    created = await mine.post("/api/v1/views", json=VIEW)
    assert created.status_code == 201, created.text
    view = created.json()
    assert {k: view[k] for k in ("name", "columns", "sort", "is_default")} == {
        "name": "Overdue first",
        "columns": ["overdue_sales", "cash"],
        "sort": "-overdue_sales_count",
        "is_default": False,
    }
    renamed = await mine.patch(f"/api/v1/views/{view['id']}", json={"name": "Chase these"})
    assert renamed.json()["name"] == "Chase these"
    assert renamed.json()["columns"] == ["overdue_sales", "cash"]
    assert [v["name"] for v in (await mine.get("/api/v1/views")).json()["views"]] == ["Chase these"]
    assert (await mine.delete(f"/api/v1/views/{view['id']}")).status_code == 204
    assert (await mine.get("/api/v1/views")).json() == {"views": []}
    assert (await mine.delete(f"/api/v1/views/{view['id']}")).status_code == 404


async def test_only_one_view_is_the_default(apis: tuple[httpx.AsyncClient, httpx.AsyncClient]) -> None:
    mine, _ = apis
    first = (await mine.post("/api/v1/views", json={**VIEW, "name": "A", "is_default": True})).json()
    second = (await mine.post("/api/v1/views", json={**VIEW, "name": "B", "is_default": True})).json()
    defaults = [v["name"] for v in (await mine.get("/api/v1/views")).json()["views"] if v["is_default"]]
    assert defaults == ["B"]
    await mine.patch(f"/api/v1/views/{first['id']}", json={"is_default": True})
    views = {v["name"]: v["is_default"] for v in (await mine.get("/api/v1/views")).json()["views"]}
    assert views == {"A": True, "B": False}
    assert second["id"] != first["id"]


async def test_someone_elses_view_answers_404_and_is_never_shown(
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    mine, theirs = apis
    view = (await mine.post("/api/v1/views", json=VIEW)).json()
    assert (await theirs.get("/api/v1/views")).json() == {"views": []}
    assert (await theirs.patch(f"/api/v1/views/{view['id']}", json={"name": "mine now"})).status_code == 404
    assert (await theirs.delete(f"/api/v1/views/{view['id']}")).status_code == 404
    assert (await theirs.get("/api/v1/dashboard", params={"view": view["id"]})).status_code == 404
    assert (await mine.get("/api/v1/views")).json()["views"][0]["name"] == "Overdue first"


@pytest.mark.parametrize(
    ("body", "field", "allowed"),
    [
        ({**VIEW, "columns": ["everything"]}, "columns", "cash"),
        ({**VIEW, "sort": "amount"}, "sort", "-overdue_sales_count"),
        ({**VIEW, "filters": {"has": ["luck"]}}, "filters.has", "overdue_sales"),
        ({**VIEW, "filters": {"colour": "red"}}, "filters.colour", None),
        ({**VIEW, "name": "  "}, "name", None),
    ],
)
async def test_a_view_is_validated_like_the_dashboard_query(
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient], body: dict[str, Any], field: str, allowed: str | None
) -> None:
    mine, _ = apis
    response = await mine.post("/api/v1/views", json=body)
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert field in errors
    if allowed is not None:
        assert allowed in errors[field]["allowed"]


async def test_the_dashboard_applies_a_view_and_explicit_parameters_win(
    apis: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    mine, _ = apis
    view = (await mine.post("/api/v1/views", json=VIEW)).json()
    page = (await mine.get("/api/v1/dashboard", params={"view": view["id"]})).json()
    assert [r["company_id"] for r in page["rows"]] == ["c5", "c3", "c1"]
    assert page["rows"][0]["cash"] is not None
    assert page["rows"][0]["open_sales_documents"] is None
    overridden = (
        await mine.get("/api/v1/dashboard", params={"view": view["id"], "sort": "company_name"})
    ).json()
    assert [r["company_id"] for r in overridden["rows"]] == ["c1", "c3", "c5"]
