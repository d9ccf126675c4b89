"""The projection store contract against the real MongoDB-wire server."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.documents import row_id
from services.aggregator.repository import MongoProjectionStore
from shared.ids import AccountantId, CompanyId
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
