"""The projection store contract against the real MongoDB-wire server."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.repository import MongoProjectionStore
from services.gateway.dashboard_query import DEFAULT_SORT, sort_spec
from shared.ids import AccountantId, CompanyId, row_id
from shared.mongo import Document
from tests.contract_projection_store import CONTRACT

pytestmark = pytest.mark.integration

ROW_FIELDS = (
    "overdue_sales",
    "last_sync_error",
    "last_synced_at",
    "open_sales_documents",
    "purchase_due_next_week",
    "overdue_purchases",
    "cash",
    "taxes_due",
    "my_tasks",
    "my_overdue_tasks",
)


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__.removeprefix("check_"))
async def test_mongo_store_keeps_the_contract(check: Any, mongo_db: AsyncDatabase[Document]) -> None:
    store = MongoProjectionStore(mongo_db)
    await store.create_indexes()

    async def read_row(who: AccountantId, company: CompanyId) -> dict[str, Any] | None:
        doc = await mongo_db["dashboard_rows"].find_one({"_id": row_id(who, company)})
        return None if doc is None else {field: doc[field] for field in ROW_FIELDS}

    await check(store, read_row)


async def test_the_dashboards_default_order_is_an_index_and_replaces_its_three_key_forerunner(
    mongo_db: AsyncDatabase[Document],
) -> None:
    rows = mongo_db["dashboard_rows"]
    await rows.create_index([("accountant_id", 1), ("client_name", 1), ("company_name", 1)])  # older hubs
    await MongoProjectionStore(mongo_db).create_indexes()
    keys = [list(index["key"]) for index in (await rows.index_information()).values()]
    default_order = [("accountant_id", 1), *sort_spec(DEFAULT_SORT)]
    assert default_order in keys  # a page reads its rows in order instead of sorting all of them
    assert default_order[:3] not in keys
