"""Where the aggregator's batch time goes: its projection store driven in-process (no Kafka) over the
aggregator benchmark's workload, against a raw one-upsert-per-event baseline on the same server.

`make bench NAME=aggregator_writes`. The figure is the store's MongoDB time per event in units of
one raw upsert: issue #4 asks for more events/s than raw one-document-per-event upserts, which the
store can only reach at a ratio below 1. The details split that time by collection (documents
written per event, milliseconds per document) and by phase, at the aggregator's default batch size
and at ten times it, so the cost of each projection is visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from bench.aggregator import raw_upsert_rate, workload
from bench.results import Baseline, Target, record
from deploy.local.mongo import start_mongo
from services.aggregator.changes import coalesce
from services.aggregator.projections import derive_figures
from services.aggregator.repository import MongoProjectionStore
from shared.events import HubEvent, decode_event, encode_event
from shared.mongo import Document, connect, database

EVENTS = int(os.environ.get("BENCH_AGGREGATOR_WRITES_EVENTS", "20000"))
BATCHES = (1000, 10_000)
COMMAND = "make bench NAME=aggregator_writes"


@dataclass
class WriteTimes:
    """MongoDB bulk-write seconds and documents, by collection."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    documents: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@contextlib.contextmanager
def timed_bulk_writes(times: WriteTimes) -> Iterator[None]:
    """Time every `bulk_write` of the async driver while inside (a profiler for this process only)."""
    original = AsyncCollection.bulk_write

    async def bulk_write(
        self: AsyncCollection[Document], requests: Sequence[Any], *args: Any, **kw: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return await original(self, requests, *args, **kw)
        finally:
            times.seconds[self.name] += time.perf_counter() - started
            times.documents[self.name] += len(requests)

    AsyncCollection.bulk_write = bulk_write  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        AsyncCollection.bulk_write = original  # type: ignore[method-assign]


async def store_split(url: str, events: Sequence[HubEvent], batch: int) -> dict[str, Any]:
    """Apply `events` through MongoProjectionStore in batches of `batch`; time each phase and collection."""
    client = connect(url, app_name="bench-aggregator-writes")
    db = database(client, f"bench_split_{uuid.uuid4().hex[:6]}")
    store = MongoProjectionStore(db, cached_companies=50_000)
    await store.create_indexes()
    phases: dict[str, float] = defaultdict(float)
    writes = WriteTimes()
    try:
        with timed_bulk_writes(writes):
            started = time.perf_counter()
            for start in range(0, len(events), batch):
                changes = coalesce(events[start : start + batch])
                moment = time.perf_counter()
                await store.save_changes(changes)
                phases["save state"] += time.perf_counter() - moment
                moment = time.perf_counter()
                states = await store.load_states(sorted(changes.companies))
                phases["load state"] += time.perf_counter() - moment
                moment = time.perf_counter()
                figures = [derive_figures(state, datetime.now(UTC)) for state in states]
                phases["derive figures (CPU)"] += time.perf_counter() - moment
                moment = time.perf_counter()
                await store.save_figures(figures)
                phases["save read models"] += time.perf_counter() - moment
            elapsed = time.perf_counter() - started
    finally:
        await client.close()
    write_seconds = sum(writes.seconds.values())
    return {
        "batch": batch,
        "events": len(events),
        "events_per_second": round(len(events) / elapsed, 1),
        "write_ms_per_event": round(1000 * write_seconds / len(events), 3),
        "share_of_time_in_writes": round(write_seconds / elapsed, 3),
        "phases_seconds": {k: round(v, 2) for k, v in phases.items()},
        "by_collection": {
            name: {
                "documents_per_event": round(writes.documents[name] / len(events), 3),
                "ms_per_document": round(1000 * seconds / max(writes.documents[name], 1), 3),
                "ms_per_event": round(1000 * seconds / len(events), 3),
            }
            for name, seconds in sorted(writes.seconds.items(), key=lambda item: -item[1])
        },
    }


def main() -> None:
    """Split the store's time at two batch sizes, beside the raw upsert cost; record the default batch's."""
    published = workload(random.Random(20261125))[:EVENTS]
    events = [decode_event(encode_event(e)) for _, e in published]  # as the aggregator decodes them
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-aggregator-writes-") as work:
        mongo = start_mongo(Path(work) / "mongo")
        try:
            raw_ms = 1000 / asyncio.run(raw_upsert_rate(mongo, published))
            splits = [asyncio.run(store_split(mongo.url, events, batch)) for batch in BATCHES]
            raw_after_ms = 1000 / asyncio.run(raw_upsert_rate(mongo, published))
        finally:
            mongo.stop()
    raw = (raw_ms + raw_after_ms) / 2
    default = splits[0]
    result = record(
        name="aggregator-write-cost",
        figure="MongoDB write ms per event in the aggregator's projection store (in-process, "
        "the aggregator bench's workload, default batch of 1,000)",
        value=default["write_ms_per_event"],
        unit="ms/event",
        baseline=Baseline(
            name="one raw upsert per event (bulk of 1,000), same server, before and after", value=raw
        ),
        target=Target(ratio_at_most=1.0),
        details={
            "raw_upsert_ms_per_event": {"before": round(raw_ms, 3), "after": round(raw_after_ms, 3)},
            "splits": splits,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "note": "ratio = raw upserts' worth of MongoDB time the store spends per event; below 1 is what "
            "beating raw one-document-per-event upserts takes",
        },
        command=COMMAND,
    )
    print(result.model_dump_json(indent=2))


if __name__ == "__main__":
    main()
