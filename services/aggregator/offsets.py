"""Where the aggregator's topics end, how far a consumer group has committed, and who is in it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from faststream.kafka.security import parse_security

from shared.kafka import kafka_security
from shared.settings import ServiceSettings

Offsets = dict[TopicPartition, int]


def _connection(settings: ServiceSettings) -> dict[str, Any]:
    return {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        **parse_security(kafka_security(settings)),
    }


async def end_offsets(settings: ServiceSettings, topics: Iterable[str]) -> Offsets:
    """The offset after the last message of every partition of `topics`, now."""
    admin = AIOKafkaAdminClient(**_connection(settings))
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    partitions = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    consumer = AIOKafkaConsumer(**_connection(settings))
    await consumer.start()
    try:
        ends: Mapping[TopicPartition, int] = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return dict(ends)


async def committed_offsets(settings: ServiceSettings, group: str) -> Offsets:
    """The offsets `group` has committed (partitions it never committed are absent)."""
    admin = AIOKafkaAdminClient(**_connection(settings))
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}


def behind(committed: Offsets, targets: Offsets) -> int:
    """How many messages up to `targets` the committed offsets have not covered yet."""
    return sum(max(end - committed.get(tp, 0), 0) for tp, end in targets.items())


async def group_members(settings: ServiceSettings, group: str) -> set[str]:
    """The client ids of the members of `group` right now (empty when nobody consumes)."""
    admin = AIOKafkaAdminClient(**_connection(settings))
    await admin.start()
    try:
        responses = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    members: set[str] = set()
    for response in responses:
        for described in response.groups:
            # (error_code, group_id, state, protocol_type, protocol, members[, authorized_operations])
            members |= {member[1] for member in described[5]}
    return members
