"""The projection store contract against the in-memory fake (the MongoDB run is in integration)."""

from __future__ import annotations

from typing import Any

import pytest

from services.aggregator.documents import row_document
from shared.ids import AccountantId, CompanyId
from tests.contract_projection_store import CONTRACT, RowReader
from tests.fakes import InMemoryProjectionStore


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__.removeprefix("check_"))
async def test_in_memory_store_keeps_the_contract(check: Any) -> None:
    store = InMemoryProjectionStore()

    async def read_row(who: AccountantId, company: CompanyId) -> dict[str, Any] | None:
        figures = store.row(who, company)
        return row_document(who, figures) if figures else None

    reader: RowReader = read_row
    await check(store, reader)
