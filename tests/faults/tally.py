"""What a fault test measured, counted the same way by every fault test: events in, events applied,
lost, duplicated; one JSON row per passing test in `build/faults/` (HUB_FAULT_RESULTS_DIR), which
`python -m tests.faults.tally` prints as the table of docs/FAULTS.md.

"Applied" is read from the aggregator's own state, not from its logs: every state document keeps
the per-company `seq` of the newest event written to it, so an event is applied when the document
it writes holds its seq or a newer one (an older event of the same record is superseded by design).
A document holding a seq that none of the given events has means something else was written there
(say, a poison event that slipped through), and is reported as `foreign`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord, TopicPartition
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.ledger import ENTRIES_COLLECTION, entry_document
from services.aggregator.records import RECORD_EVENTS, record_key
from services.aggregator.subscribers import CONSUMED
from shared.events import (
    TASK_EVENTS,
    AccessGranted,
    AccessRevoked,
    CompanyDiscovered,
    CompanySyncFailed,
    CompanySyncSucceeded,
    HubEvent,
    LedgerEntriesPosted,
    decode_event,
)
from shared.ids import row_id
from shared.mongo import Document
from shared.records import LedgerEntry
from tests.aggregator_load import Brokers

RESULTS_DIR = Path(os.environ.get("HUB_FAULT_RESULTS_DIR", Path(__file__).parents[2] / "build" / "faults"))
StateKey = tuple[str, str, str]  # collection, _id, the field holding the seq


@dataclass(frozen=True)
class FaultRow:
    """One row of the fault table, with the numbers the test measured and what they count."""

    fault: str
    times: str
    events_in: int | None  # None: the fault is not about events (say, bad HTTP requests)
    events_applied: int | None
    lost: int | None
    duplicated: int | None
    test: str
    in_make_test: bool
    counts: str
    seconds: float
    extra: dict[str, int] = field(default_factory=dict)


def record_row(name: str, row: FaultRow) -> Path:
    """Write the row as `<RESULTS_DIR>/<name>.json` (the newest run of a test replaces its row)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(asdict(row), indent=2) + "\n")
    return path


def markdown_table(rows: Sequence[FaultRow]) -> str:
    """The rows as the Markdown table of docs/FAULTS.md."""
    lines = [
        "| fault | how many times | events in | events applied | lost | duplicated | test | in `make test` |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        counts = (r.events_in, r.events_applied, r.lost, r.duplicated)
        cells = [r.fault, r.times, *(_count(n) for n in counts)]
        cells += [f"`{r.test}`", "yes" if r.in_make_test else "no"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def load_rows(directory: Path = RESULTS_DIR) -> list[FaultRow]:
    """Every recorded row, by file name."""
    return [FaultRow(**json.loads(p.read_text())) for p in sorted(directory.glob("*.json"))]


@dataclass(frozen=True)
class Applied:
    """How many of the given events the state holds (theirs or a newer seq), which it lacks, and
    documents holding a seq none of them has."""

    applied: int
    lost: list[str]
    foreign: list[str]
    unchecked: int


def state_key(event: HubEvent) -> tuple[StateKey, int] | None:
    """The state document an event writes, the field there that orders writes, and the event's value
    of it (its seq; a task's version). None: an event without such a document (ledger entries)."""
    if isinstance(event, RECORD_EVENTS):
        kind, record = record_key(event)
        return ("agg_records", f"{event.company_id}:{kind}:{record}", "seq"), event.seq
    if isinstance(event, TASK_EVENTS):
        return ("agg_tasks", event.task.id, "version"), event.version
    match event:
        case CompanyDiscovered():
            return ("agg_companies", event.company_id, "seq"), event.seq
        case CompanySyncSucceeded() | CompanySyncFailed():
            return ("agg_sync_status", event.company_id, "status_seq"), event.seq
        case AccessGranted() | AccessRevoked():
            return ("agg_grants", row_id(event.accountant_id, event.company_id), "seq"), event.seq
    return None


async def applied_to_state(db: AsyncDatabase[Document], events: Sequence[HubEvent]) -> Applied:
    """Check every event against the aggregator's state documents in `db`."""
    newest: dict[StateKey, int] = {}
    tracked: list[tuple[StateKey, int, HubEvent]] = []
    for event in events:
        found = state_key(event)
        if found is not None:
            key, order = found
            tracked.append((key, order, event))
            newest[key] = max(newest.get(key, 0), order)
    stored = await _stored_seqs(db, newest.keys())
    ledger = [e for e in events if isinstance(e, LedgerEntriesPosted)]
    entries = await _stored_ids(db, ENTRIES_COLLECTION, [entry_id(e, n) for e in ledger for n in e.entries])
    lost_entries = [
        f"LedgerEntriesPosted seq {e.seq} of company {e.company_id}: an entry is not in {ENTRIES_COLLECTION}"
        for e in ledger
        if any(entry_id(e, n) not in entries for n in e.entries)
    ]
    lost = lost_entries + [
        f"{type(e).__name__} {k[2]} {n} of company {e.company_id}: {k[0]} {k[1]} holds {stored.get(k)}"
        for k, n, e in tracked
        if stored.get(k, 0) < n
    ]
    foreign = [
        f"{k[0]} {k[1]} holds {k[2]} {stored[k]}, newer than every event given ({n})"
        for k, n in newest.items()
        if stored.get(k, 0) > n
    ]
    checked = len(tracked) + len(ledger)
    return Applied(checked - len(lost), lost, foreign, len(events) - checked)


def entry_id(event: LedgerEntriesPosted, entry: LedgerEntry) -> str:
    """The id of a posted entry's document (`services/aggregator/ledger.py` `entry_document`)."""
    return str(entry_document(event.company_id, entry)["_id"])


async def _stored_ids(db: AsyncDatabase[Document], collection: str, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        query = {"_id": {"$in": list(ids[start : start + 500])}}
        found |= {str(doc["_id"]) async for doc in db[collection].find(query, {"_id": 1})}
    return found


async def _stored_seqs(db: AsyncDatabase[Document], keys: Iterable[StateKey]) -> dict[StateKey, int]:
    by_collection: dict[tuple[str, str], list[str]] = {}
    for collection, doc_id, seq_field in keys:
        by_collection.setdefault((collection, seq_field), []).append(doc_id)
    stored: dict[StateKey, int] = {}
    for (collection, seq_field), ids in by_collection.items():
        for start in range(0, len(ids), 500):
            query = {"_id": {"$in": ids[start : start + 500]}}
            async for doc in db[collection].find(query, {seq_field: 1}):
                if doc.get(seq_field) is not None:
                    stored[(collection, doc["_id"], seq_field)] = int(doc[seq_field])
    return stored


async def read_topics(
    kafka: Brokers, topics: Sequence[str], within: float = 120
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every message of `topics` up to their current end offsets, in partition order."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    partitions = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        async with asyncio.timeout(within):
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                for tp, batch in (await consumer.getmany(timeout_ms=1000)).items():
                    records += [r for r in batch if r.offset < ends[tp]]
        return records
    finally:
        await consumer.stop()


def decoded(records: Sequence[ConsumerRecord[bytes, bytes]]) -> tuple[list[HubEvent], int]:
    """The events among `records`, and how many records are not events (poison)."""
    events: list[HubEvent] = []
    poison = 0
    for record in records:
        try:
            events.append(decode_event(record.value or b""))
        except ValidationError:
            poison += 1
    return events, poison


def repeated_event_ids(events: Sequence[HubEvent]) -> int:
    """Messages carrying an event id already seen: a producer that sent one event twice."""
    return sum(n - 1 for n in Counter(e.event_id for e in events).values() if n > 1)


@dataclass(frozen=True)
class Measured:
    """A fault test's counts, read back from the broker and the aggregator's state at its end."""

    events_in: int
    applied: int
    lost: list[str]
    not_in_topics: int
    foreign: list[str]
    unchecked: int
    repeated_in_topics: int
    poison: int

    def extra(self) -> dict[str, int]:
        return {
            "not_in_topics": self.not_in_topics,
            "without_a_state_document": self.unchecked,
            "repeated_in_topics": self.repeated_in_topics,
            "poison_in_topics": self.poison,
        }


async def measure(
    kafka: Brokers,
    live: AsyncDatabase[Document],
    companies: Collection[str] | None = None,
    published: Sequence[HubEvent] = (),
) -> Measured:
    """Read the consumed topics back (only `companies`' messages, when given) and check each event
    against the live state; `published` events missing from the topics count as lost too."""
    records = await read_topics(kafka, CONSUMED)
    if companies is not None:
        keys = {c.encode() for c in companies}
        records = [r for r in records if r.key in keys]
    events, poison = decoded(records)
    in_topics = {e.event_id for e in events}
    not_in_topics = sum(1 for e in published if e.event_id not in in_topics)
    state = await applied_to_state(live, events)
    return Measured(
        events_in=len(records),
        applied=state.applied,
        lost=state.lost,
        not_in_topics=not_in_topics,
        foreign=state.foreign,
        unchecked=state.unchecked,
        repeated_in_topics=repeated_event_ids(events),
        poison=poison,
    )


def assert_nothing_lost(measured: Measured) -> None:
    """Fail naming the first events missing from the state or from the topics."""
    assert measured.events_in > 0, "no event of the test is in the topics: the test proves nothing"
    assert measured.not_in_topics == 0, f"{measured.not_in_topics} acknowledged events are not in the topics"
    assert measured.lost == [], f"{len(measured.lost)} events not applied: {measured.lost[:5]}"
    assert measured.foreign == [], f"state written by no event of the topics: {measured.foreign[:5]}"


def record_measured(
    name: str, *, fault: str, times: str, measured: Measured, test: str, in_make_test: bool, seconds: float
) -> Path:
    """Record the row of a fault test that ended equal to a clean replay (so nothing counted twice)."""
    row = FaultRow(
        fault=fault,
        times=times,
        events_in=measured.events_in,
        events_applied=measured.applied,
        lost=len(measured.lost) + measured.not_in_topics,
        duplicated=0,
        test=test,
        in_make_test=in_make_test,
        counts=COUNTS
        + (
            f"; {measured.unchecked} events the aggregator keeps no document of (client user task lists, "
            "read by the tasks service) are not in 'applied'"
            if measured.unchecked
            else ""
        ),
        seconds=round(seconds, 1),
        extra=measured.extra(),
    )
    return record_row(name, row)


COUNTS = (
    "events in = messages of the test's companies in the consumed topics, read back at the end; "
    "applied = those whose state document (record, profile, sync status, grant, task) holds their "
    "seq or a newer one, and ledger postings whose entries are all stored; lost = events not applied + "
    "events the producer was told were taken but "
    "are missing from the topics; duplicated = figures counted twice, i.e. differences from a clean "
    "replay (the test fails on any)"
)


def main() -> None:
    """`python -m tests.faults.tally [DIR]`: print the recorded rows as a Markdown table."""
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS_DIR
    rows = load_rows(directory)
    print(markdown_table(rows))
    for r in rows:
        print(
            f"- {r.test}: {r.counts} ({r.seconds:.0f} s{', ' if r.extra else ''}"
            + ", ".join(f"{k} {v}" for k, v in r.extra.items())
            + ")"
        )


if __name__ == "__main__":
    main()
