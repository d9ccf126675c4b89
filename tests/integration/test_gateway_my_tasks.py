"""My User Tasks against the real MongoDB server: sorts, filters, pages, and only your own tasks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.mongo import MongoServer
from services.aggregator.tasks import CompanyTaskView, my_task_document, my_task_id
from services.gateway.main import create_app
from services.gateway.settings import AccountSeed, GatewaySettings
from shared.ids import AccountantId
from shared.mongo import Document
from shared.settings import ServiceSettings
from tests.task_builders import user_task

pytestmark = pytest.mark.integration
ME, OTHER, PASSWORD = (
    AccountantId("me@firm.example"),
    AccountantId("other@firm.example"),
    "correct-horse-battery",
)
PRIORITIES = ("low", "normal", "high")


def entry(who: AccountantId, n: int) -> Document:
    """Task n: client n % 3, due n days from the 20th (every 5th without a due date)."""
    view = CompanyTaskView(
        f"c{n % 4}", f"Company {n % 4}", f"Client {n % 3}", "UTC", today_of(2026, 11, 25), frozenset({who})
    )
    due = None if n % 5 == 0 else today_of(2026, 11, 20 + n % 10)
    task = user_task(
        id=f"t{n:03d}", assignee=who, title=f"Task {n:03d}", due_date=due, priority=PRIORITIES[n % 3]
    )
    return {"_id": my_task_id(who, task.id), **my_task_document(view, task)}


def today_of(year: int, month: int, day: int) -> date:
    return date(year, month, day)


@pytest.fixture
async def api(
    mongo_server: MongoServer, mongo_db: AsyncDatabase[Document]
) -> AsyncIterator[httpx.AsyncClient]:
    await mongo_db["my_tasks"].insert_many(
        [entry(ME, n) for n in range(23)] + [entry(OTHER, n) for n in range(50, 55)]
    )
    settings = GatewaySettings(
        common=ServiceSettings(mongo_url=mongo_server.url, mongo_database=mongo_db.name),
        seed_accounts=(AccountSeed(email=ME, password=PASSWORD),),
        secure_cookies=False,
        kafka_enabled=False,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://hub") as client,
    ):
        signed = await client.post("/api/v1/session", json={"email": ME, "password": PASSWORD})
        client.headers["Authorization"] = f"Bearer {signed.json()['token']}"
        yield client


async def every_page(api: httpx.AsyncClient, **params: Any) -> list[Document]:
    tasks: list[Document] = []
    cursor = None
    for _ in range(50):
        response = await api.get(
            "/api/v1/my-tasks", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        tasks += response.json()["tasks"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return tasks
    raise AssertionError("pagination did not end")


async def test_my_tasks_are_sorted_by_due_date_with_undated_last_across_pages(api: httpx.AsyncClient) -> None:
    tasks = await every_page(api, limit=4)
    assert len(tasks) == 23
    assert len({t["task_id"] for t in tasks}) == 23
    dated = [t["due_date"] for t in tasks if t["due_date"]]
    assert dated == sorted(dated)
    assert all(t["due_date"] is None for t in tasks[len(dated) :])


async def test_my_tasks_never_include_another_accountants_tasks(api: httpx.AsyncClient) -> None:
    assert {t["task_id"] for t in await every_page(api)} == {f"t{n:03d}" for n in range(23)}


async def test_filters_by_client_overdue_and_due_this_week(api: httpx.AsyncClient) -> None:
    by_client = await every_page(api, client="Client 1", limit=2)
    assert {t["client_name"] for t in by_client} == {"Client 1"}
    assert len(by_client) == len([n for n in range(23) if n % 3 == 1])
    overdue = await every_page(api, overdue="true")
    assert overdue
    assert all(t["overdue"] and t["due_date"] < "2026-11-25" for t in overdue)
    this_week = await every_page(api, due_this_week="true")
    assert this_week
    assert all("2026-11-23" <= t["due_date"] <= "2026-11-29" for t in this_week)


async def test_priority_sort_puts_high_first(api: httpx.AsyncClient) -> None:
    priorities = [t["priority"] for t in await every_page(api, sort="priority", limit=5)]
    assert priorities == sorted(priorities, key=["high", "normal", "low"].index)


async def test_bad_sort_and_foreign_cursor_are_4xx_naming_the_field(api: httpx.AsyncClient) -> None:
    bad_sort = await api.get("/api/v1/my-tasks", params={"sort": "title"})
    assert bad_sort.status_code == 422
    assert [e["field"] for e in bad_sort.json()["errors"]] == ["sort"]
    first = (await api.get("/api/v1/my-tasks", params={"limit": 2})).json()["next_cursor"]
    foreign = await api.get("/api/v1/my-tasks", params={"sort": "client", "cursor": first})
    assert foreign.status_code == 400
    assert foreign.json()["detail"].startswith("cursor:")
