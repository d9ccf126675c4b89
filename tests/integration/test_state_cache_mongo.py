"""The state kept between batches equals what MongoDB holds, on the real MongoDB-wire server.

The aggregator derives figures from its own copy of each company's stored documents; these tests
drive it with redelivered, stale and out-of-order events (the guards reject some writes) and
compare every company's state with a store that reads everything back from MongoDB.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.compare import compare_projections
from services.aggregator.handlers import apply_events
from services.aggregator.repository import MongoProjectionStore
from shared.events import HubEvent
from shared.ids import CompanyId
from shared.mongo import IN_CHUNK, Document, database
from shared.records import SalesInvoiceStatus
from tests.builders import (
    NOW,
    account_changed,
    accountant,
    company_discovered,
    company_id,
    granted,
    revoked,
    sales_invoice_changed,
    sync_failed,
    sync_succeeded,
)
from tests.task_builders import task_event, user_task

pytestmark = pytest.mark.integration


def clock() -> datetime:
    return NOW


def company_history(company: CompanyId, rng: random.Random) -> list[HubEvent]:
    """A company's events in seq order: invoices opened, paid and reopened, grants, syncs, tasks."""
    who, other = accountant(), accountant()
    events: list[HubEvent] = [company_discovered(company, 1), granted(company, 2, who)]
    invoices = [f"inv-{n}" for n in range(4)]
    task = user_task(assignee=who)
    version = 0
    for seq in range(3, 40):
        roll = rng.random()
        if roll < 0.5:
            events.append(
                sales_invoice_changed(
                    company,
                    seq,
                    id=rng.choice(invoices),
                    status=rng.choice([SalesInvoiceStatus.OPEN, SalesInvoiceStatus.PAID]),
                    remaining_amount=Decimal(rng.randrange(1, 9999)) / 100,
                )
            )
        elif roll < 0.6:
            events.append(account_changed(company, seq, balance=Decimal(rng.randrange(0, 500))))
        elif roll < 0.7:
            person = rng.choice([who, other])
            events.append(
                granted(company, seq, person) if rng.random() < 0.6 else revoked(company, seq, person)
            )
        elif roll < 0.8:
            events.append(sync_succeeded(company, seq) if rng.random() < 0.7 else sync_failed(company, seq))
        else:
            version += 1
            kind = rng.choice(["created", "completed", "reopened"])
            status = "done" if kind == "completed" else "open"
            events.append(task_event(kind, company, seq, version, task, status=status))
    return events


def delivered_in_batches(histories: list[list[HubEvent]], rng: random.Random) -> list[list[HubEvent]]:
    """Interleave the companies (order kept per company), redeliver some events and batches."""
    cursors = [0] * len(histories)
    delivered: list[HubEvent] = []
    while any(c < len(h) for c, h in zip(cursors, histories, strict=True)):
        i = rng.choice([i for i, h in enumerate(histories) if cursors[i] < len(h)])
        delivered.append(histories[i][cursors[i]])
        if cursors[i] > 3 and rng.random() < 0.2:  # a stale redelivery of an older event
            delivered.append(histories[i][rng.randrange(cursors[i])])
        cursors[i] += 1
    batches: list[list[HubEvent]] = []
    while delivered:
        size = rng.randrange(1, 25)
        batch, delivered = delivered[:size], delivered[size:]
        batches.append(batch)
        if rng.random() < 0.2:
            batches.append(batch)  # the whole batch again, as after an uncommitted crash
    return batches


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_kept_state_equals_mongodb_state_under_redelivery_and_stale_events(
    seed: int, mongo_db: AsyncDatabase[Document]
) -> None:
    rng = random.Random(seed)
    companies = [company_id() for _ in range(6)]
    kept = MongoProjectionStore(mongo_db, cached_companies=100)
    await kept.create_indexes()
    for batch in delivered_in_batches([company_history(c, rng) for c in companies], rng):
        await apply_events(batch, kept, clock)

    read_back = MongoProjectionStore(mongo_db)  # keeps nothing: every state read from MongoDB
    assert await kept.load_states(companies) == await read_back.load_states(companies)


async def test_reading_more_companies_than_one_in_query_holds_loses_none(
    mongo_db: AsyncDatabase[Document],
) -> None:
    rng = random.Random(5)
    companies = [company_id() for _ in range(2 * IN_CHUNK + 11)]  # two full slices and a partial one
    kept = MongoProjectionStore(mongo_db, cached_companies=1000)
    await kept.create_indexes()
    await apply_events([e for c in companies for e in company_history(c, rng)], kept, clock)

    read_back = MongoProjectionStore(mongo_db)
    from_mongodb = await read_back.load_states(companies)
    assert all(s.company_name and (s.granted_to or s.revoked_from) for s in from_mongodb), (
        "a company read back empty"
    )
    assert await kept.load_states(companies) == from_mongodb


async def test_a_small_cache_reads_evicted_companies_back_from_mongodb(
    mongo_db: AsyncDatabase[Document],
) -> None:
    rng = random.Random(7)
    companies = [company_id() for _ in range(5)]
    kept = MongoProjectionStore(mongo_db, cached_companies=2)
    for batch in delivered_in_batches([company_history(c, rng) for c in companies], rng):
        await apply_events(batch, kept, clock)

    read_back = MongoProjectionStore(mongo_db)
    assert await kept.load_states(companies) == await read_back.load_states(companies)


async def test_forgetting_the_kept_state_rereads_what_another_writer_changed(
    mongo_db: AsyncDatabase[Document],
) -> None:
    company, who = company_id(), accountant()
    mine = MongoProjectionStore(mongo_db, cached_companies=10)
    await apply_events([company_discovered(company, 1), granted(company, 2, who)], mine, clock)
    other = MongoProjectionStore(mongo_db, cached_companies=10)  # the partition moved to another pod
    await apply_events([sales_invoice_changed(company, 3)], other, clock)

    [stale] = await mine.load_states([company])
    mine.forget_cached_state()  # what the rebalance listener does when partitions come back
    [fresh] = await mine.load_states([company])

    assert stale.records.sales_invoices == ()
    assert len(fresh.records.sales_invoices) == 1


async def test_read_models_written_with_kept_state_equal_those_read_back_every_batch(
    mongo_client: AsyncMongoClient[Document],
) -> None:
    rng = random.Random(11)
    companies = [company_id() for _ in range(6)]
    batches = delivered_in_batches([company_history(c, rng) for c in companies], rng)
    kept_db = database(mongo_client, f"test_kept_{uuid.uuid4().hex[:8]}")
    read_back_db = database(mongo_client, f"test_read_back_{uuid.uuid4().hex[:8]}")
    kept, read_back = MongoProjectionStore(kept_db, cached_companies=100), MongoProjectionStore(read_back_db)
    for batch in batches:
        await apply_events(batch, kept, clock)
        await apply_events(batch, read_back, clock)

    assert await compare_projections(kept_db, read_back_db) == []
    assert await kept_db["dashboard_rows"].count_documents({}) > 0, "the histories grant rows"
