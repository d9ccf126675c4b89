"""Thin faststream adapters: decode, park poison events, apply, commit only after the writes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from aiokafka import ConsumerRebalanceListener
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.structs import TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from pymongo.errors import PyMongoError

from services.aggregator.fence import ProjectionsSwappingError, SwapFence
from services.aggregator.handlers import Clock, apply_events
from services.aggregator.ledger import LedgerStore, apply_ledger_entries
from services.aggregator.metrics import AggregatorMetrics
from services.aggregator.repository import ProjectionStore
from services.aggregator.settings import AggregatorSettings
from shared.concurrency import together
from shared.events import HubEvent, decode_event
from shared.topics import ACCESS_EVENTS, COMPANY_RECORDS, COMPANY_SYNC_STATUS, TASKS_EVENTS

log = structlog.get_logger()
CONSUMED = (COMPANY_RECORDS, COMPANY_SYNC_STATUS, ACCESS_EVENTS, TASKS_EVENTS)


class PoisonParking(Protocol):
    """Where a poison record goes (shared.kafka.DeadLetters, or `AlreadyParked` for a replay)."""

    async def park(self, topic: str, key: bytes | None, value: bytes, reason: str) -> None:
        """Keep the record with the reason so the consumer can move on."""


class AlreadyParked:
    """For a replay: the live aggregator parked every poison record when it first met it, so a
    replay re-reading the topics only logs them (parking again would duplicate the dead letters)."""

    async def park(self, topic: str, key: bytes | None, value: bytes, reason: str) -> None:  # noqa: ARG002
        """Nothing to publish: the record is in `<topic>.dlq` already."""
        log.info("poison_event_already_parked", topic=topic, reason=reason)


def register_subscribers(
    broker: KafkaBroker,
    store: ProjectionStore,
    dead_letters: PoisonParking,
    now: Clock,
    settings: AggregatorSettings,
    write_lock: asyncio.Lock,
    metrics: AggregatorMetrics,
    ledger: LedgerStore,
    fence: SwapFence,
) -> None:
    """Subscribe the aggregator to every topic it projects, in batches, at-least-once."""

    @broker.subscriber(
        *CONSUMED,
        group_id=settings.group_id,
        batch=True,
        max_records=settings.max_batch,
        batch_timeout_ms=settings.batch_timeout_ms,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.session_timeout_ms,
        # Every topic has the same partition count and is keyed by company, so the range assignor
        # gives one pod all of a company's topics: one writer per company, even with many pods.
        partition_assignment_strategy=(RangePartitionAssignor,),
        heartbeat_interval_ms=max(settings.session_timeout_ms // 5, 500),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        listener=ForgetStateOnRebalance(store),
    )
    async def on_events(message: KafkaMessage) -> None:
        """Apply one batch; a transient failure rewinds the partitions (nothing is committed)."""
        records: Sequence[Any] = message.raw_message
        decoded = await decode_or_park(records, dead_letters, metrics)
        events = decoded.events
        try:
            with metrics.batch_seconds.time():
                async with write_lock:
                    await fence.check()
                    await together(apply_ledger_entries(events, ledger), apply_events(events, store, now))
        except ProjectionsSwappingError:
            store.forget_cached_state()
            log.info("paused_while_projections_are_swapped", events=len(events))
            await asyncio.sleep(settings.retry_backoff_seconds)
            raise
        except PyMongoError:
            log.warning("projection_write_failed_will_retry", events=len(events), exc_info=True)
            await asyncio.sleep(settings.retry_backoff_seconds)
            raise
        metrics.batch_applied(records, decoded.topics, events, now(), getattr(message, "consumer", None))


class ForgetStateOnRebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partitions moved: another instance may have written these companies, so re-read their state."""

    def __init__(self, store: ProjectionStore) -> None:
        self._store = store

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:  # noqa: ARG002
        """Companies are leaving this instance."""
        self._store.forget_cached_state()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:  # noqa: ARG002
        """Companies are (re)joining this instance: what it kept may be stale."""
        self._store.forget_cached_state()


@dataclass(frozen=True)
class DecodedBatch:
    """The events of a batch that decoded, and the topic each came from (poison ones are parked)."""

    events: list[HubEvent] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


async def decode_or_park(
    records: Sequence[Any], dead_letters: PoisonParking, metrics: AggregatorMetrics
) -> DecodedBatch:
    """Decode every record; a poison one goes to its topic's dead-letter topic with the reason."""
    decoded = DecodedBatch()
    for record in records:
        try:
            decoded.events.append(decode_event(record.value))
            decoded.topics.append(record.topic)
        except ValidationError as error:
            reason = _reason(error)
            log.warning(
                "poison_event_parked",
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                reason=reason,
            )
            await dead_letters.park(record.topic, record.key, record.value, reason)
            metrics.dead_lettered.labels(record.topic).inc()
    return decoded


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "message"
    return f"{where}: {first['msg']} ({error.error_count()} error(s))"
