"""A poison flood: a few thousand events for many companies on the real Kafka, 1% of them invalid
(bytes that are not JSON, JSON failing the schema, an unknown schema version, a known type with a
bad field), consumed by the real aggregator process. Every invalid one lands in its topic's
dead-letter topic once, with the reason naming what is wrong; every valid one is applied; the
consumer group's lag returns to zero; the projections equal a clean replay of the topics."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from services.aggregator.subscribers import CONSUMED
from shared.events import EventBase, HubEvent, encode_event
from shared.mongo import connect, database
from shared.topics import dead_letter_topic
from tests.aggregator_load import AggregatorProcess, aggregator_settings, interleaved, lag
from tests.faults.conftest import assert_equal_to_a_clean_replay
from tests.faults.tally import FaultRow, applied_to_state, read_topics, record_row
from tests.waiting import eventually

# ~60 s alone; in a full run the fresh group (and the replay) also read every other test's events.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
COMPANIES, CHANGES = 150, 17  # 150 x (discovery + 2 grants + 17 changes) = 3,000 events
POISON_SHARE = 0.01
FIRST_CHANGE_SEQ = 4  # seq 1 is the discovery, 2 and 3 the grants: poison only what follows


@dataclass(frozen=True)
class Poison:
    """An invalid message in place of a valid event, and what its dead-letter reason must say."""

    kind: str
    topic: str
    key: bytes
    value: bytes
    reason_says: str


def not_json(event: dict[str, Any]) -> tuple[bytes, str]:
    return b"\xff\xfe\x00not json at all " + event["event_id"].encode(), "Invalid JSON"


def failing_schema(event: dict[str, Any]) -> tuple[bytes, str]:
    variant = int(uuid.UUID(event["event_id"])) % 3
    if variant == 0:
        unknown = {"event_type": "invoice.teleported", "company_id": event["company_id"], "seq": event["seq"]}
        return json.dumps(unknown).encode(), "does not match any of the expected tags"
    if variant == 1:
        without = {k: v for k, v in event.items() if k != "company_id"}
        return json.dumps(without).encode(), f"{event['event_type']}.company_id: Field required"
    return json.dumps([event["event_id"], event["seq"]]).encode(), "Input should be an object"


def unknown_version(event: dict[str, Any]) -> tuple[bytes, str]:
    return json.dumps({**event, "schema_version": 9}).encode(), f"{event['event_type']}.schema_version"


BAD_FIELDS: dict[str, tuple[str, str, Any]] = {
    "sales_invoice.changed": ("invoice", "remaining_amount", "twelve pounds"),
    "purchase_invoice.changed": ("invoice", "total_amount", "lots"),
    "account.changed": ("account", "balance", "plenty"),
    "company_sync.failed": ("", "reason", "x" * 600),
}


def bad_field(event: dict[str, Any]) -> tuple[bytes, str]:
    kind = event["event_type"]
    parent, name, bad = BAD_FIELDS.get(kind, ("", "occurred_at", "not a time"))
    changed = {**event, parent: {**event[parent], name: bad}} if parent else {**event, name: bad}
    where = f"{kind}.{parent}.{name}" if parent else f"{kind}.{name}"
    return json.dumps(changed).encode(), where


POISONS: dict[str, Callable[[dict[str, Any]], tuple[bytes, str]]] = {
    "not JSON": not_json,
    "JSON failing the schema": failing_schema,
    "unknown schema version": unknown_version,
    "known type, bad field": bad_field,
}


def poison_some(
    rng: random.Random, events: list[tuple[str, HubEvent]]
) -> tuple[list[tuple[str, bytes, bytes]], list[HubEvent], list[Poison]]:
    """Replace 1% of the events (never a company's discovery or first grants) with poison, each kind
    in turn; returns the messages to publish in order, the valid events among them, and the poison."""
    candidates = [i for i, (_, e) in enumerate(events) if e.seq >= FIRST_CHANGE_SEQ]
    chosen = sorted(rng.sample(candidates, round(len(events) * POISON_SHARE)))
    kinds = list(POISONS)
    poisoned: dict[int, Poison] = {}
    for n, index in enumerate(chosen):
        topic, event = events[index]
        kind = kinds[n % len(kinds)]
        value, reason = POISONS[kind](json.loads(encode_event(event)))
        poisoned[index] = Poison(kind, topic, event.company_id.encode(), value, reason)
    messages: list[tuple[str, bytes, bytes]] = []
    valid: list[HubEvent] = []
    for index, (topic, event) in enumerate(events):
        if index in poisoned:
            p = poisoned[index]
            messages.append((p.topic, p.key, p.value))
        else:
            assert isinstance(event, EventBase)
            messages.append((topic, event.company_id.encode(), encode_event(event)))
            valid.append(event)
    return messages, valid, list(poisoned.values())


async def publish_raw(kafka: KafkaServer, messages: list[tuple[str, bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        for topic, key, value in messages:
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


async def test_poison_flood_parks_every_invalid_event_and_applies_every_valid_one(
    kafka_server: KafkaServer, mongo_server: MongoServer, processes: list[AggregatorProcess], tmp_path: Path
) -> None:
    started = time.monotonic()
    rng = random.Random(20261125)
    messages, valid, poison = poison_some(rng, interleaved(rng, companies=COMPANIES, changes=CHANGES))
    companies = {event.company_id for event in valid}
    assert len(messages) == 3000
    assert sorted(Counter(p.kind for p in poison).values()) == [7, 7, 8, 8]  # 30 invalid, each kind
    db_name, group = f"poison_{uuid.uuid4().hex[:6]}", f"poison-{uuid.uuid4().hex[:6]}"
    settings = aggregator_settings(kafka_server, mongo_server, db_name, group)
    aggregator = AggregatorProcess(kafka_server, mongo_server, group, db_name, tmp_path)
    processes.append(aggregator)
    aggregator.start()
    await eventually(aggregator.ready, bool, within=60)

    await publish_raw(kafka_server, messages)
    published = time.monotonic()
    await eventually(lambda: lag(kafka_server, group), lambda behind: behind == 0, within=300)
    consumed = time.monotonic()
    assert aggregator.process is not None
    assert aggregator.process.alive, f"the aggregator died on poison; see {aggregator.log}"

    # The dead-letter topics, read before the replay below parks the same poison a second time.
    ours = {company.encode() for company in companies}
    parked = [
        r for r in await read_topics(kafka_server, [dead_letter_topic(t) for t in CONSUMED]) if r.key in ours
    ]
    headers = [{k: v.decode() for k, v in r.headers} for r in parked]
    parked_values = Counter(r.value for r in parked)
    missing = [p for p in poison if p.value not in parked_values]
    assert missing == [], f"{len(missing)} poison events never reached a dead-letter topic: {missing[:3]}"
    by_value = {p.value: p for p in poison}
    strays = [r.value for r in parked if r.value not in by_value]
    assert strays == [], f"valid events were dead-lettered: {strays[:3]!r}"
    for record, header in zip(parked, headers, strict=True):
        expected = by_value[record.value or b""]
        assert record.topic == dead_letter_topic(expected.topic)
        assert header["dlq_source_topic"] == expected.topic
        assert expected.reason_says in header["dlq_reason"], (
            f"{expected.kind}: reason {header['dlq_reason']!r} does not say {expected.reason_says!r}"
        )
    parked_twice = sum(n - 1 for n in parked_values.values())

    client = connect(mongo_server.url, app_name="tests")
    try:
        live = database(client, db_name)
        state = await applied_to_state(live, valid)
        assert state.lost == [], f"{len(state.lost)} valid events not applied: {state.lost[:5]}"
        assert state.foreign == [], f"poison reached the projections: {state.foreign[:5]}"
        assert state.unchecked == 0, "every event of this load writes a state document"
        replay_started = time.monotonic()
        await assert_equal_to_a_clean_replay(live, settings, companies)
        replayed = time.monotonic() - replay_started
    finally:
        await client.close()

    row = FaultRow(
        fault="poison flood: 1% of events invalid (not JSON, failing the schema, unknown schema "
        "version, known type with a bad field), 150 companies",
        times=f"{len(poison)} invalid events",
        events_in=len(messages),
        events_applied=state.applied,
        lost=len(missing) + len(state.lost),
        duplicated=parked_twice,
        test="tests/faults/test_poison_flood.py",
        in_make_test=True,
        counts="events in = messages published; applied = valid events whose state document holds "
        "their seq (read from MongoDB); lost = valid events not applied + poison missing from the DLQ; "
        "duplicated = poison parked more than once (live equals a clean replay, so no valid event "
        "counted twice)",
        seconds=round(time.monotonic() - started, 1),
        extra={
            "dead_lettered": len(parked),
            "valid": len(valid),
            "invalid": len(poison),
            "seconds_to_lag_zero": round(consumed - published),
            "seconds_replay_and_compare": round(replayed),
        },
    )
    record_row("poison_flood", row)
    print(f"\npoison flood: {row}")
