"""Sync's per-company state on the real MongoDB server survives a restart whole: watermarks, and what
the full pass needs to find deleted records."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.sync.repository import CompanySyncState, MongoSyncStateStore, Watermark
from shared.ids import CompanyId
from shared.mongo import Document

pytestmark = pytest.mark.integration


async def test_watermarks_known_ids_and_the_last_full_pass_read_back_as_saved(
    mongo_db: AsyncDatabase[Document],
) -> None:
    company = CompanyId(str(uuid.uuid4()))
    moment = datetime(2026, 11, 25, 10, 0, 0, 123000, tzinfo=UTC)
    state = CompanySyncState(
        watermarks={"salesInvoices": Watermark(moment, frozenset({"a", "b"}))},
        ledger_mark=moment,
        last_announced_ok=moment,
        known_ids={"salesInvoices": frozenset({"a", "b", "c"}), "salesQuotes": frozenset()},
        last_full_pass=moment,
        snapshot_fingerprints={"account:cash": "d1", "aged_payables": "d2"},
    )
    await MongoSyncStateStore(mongo_db).save(company, state)

    loaded = await MongoSyncStateStore(mongo_db).load(company)  # a new store: as after a restart

    assert loaded.known_ids == state.known_ids
    assert loaded.snapshot_fingerprints == state.snapshot_fingerprints
    assert loaded.last_full_pass is not None
    assert loaded.last_full_pass.replace(tzinfo=UTC) == moment
    assert loaded.watermarks["salesInvoices"].ids == frozenset({"a", "b"})
