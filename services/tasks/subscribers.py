"""Thin faststream adapter: grants from access.events, client-system tasks from company.records.

Only the events the tasks service needs are decoded (the `event_type` header tells); a poison one
goes to the dead-letter topic; a database error propagates so the offsets are not committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from pymongo.errors import PyMongoError

from services.tasks.handlers import TaskService
from services.tasks.repository import TaskStore
from services.tasks.settings import TasksSettings
from shared.events import (
    AccessGranted,
    AccessRevoked,
    ClientUserTasksReported,
    ClientUserTaskWriteBack,
    HubEvent,
    decode_event,
)
from shared.kafka import DeadLetters
from shared.topics import ACCESS_EVENTS, COMPANY_RECORDS

log = structlog.get_logger()
WANTED = {
    b"access.granted",
    b"access.revoked",
    b"client_user_tasks.reported",
    b"client_user_task.write_back",
}


def register_subscribers(
    broker: KafkaBroker,
    service: TaskService,
    store: TaskStore,
    dead_letters: DeadLetters,
    settings: TasksSettings,
) -> None:
    """Subscribe the tasks service to grants and client-system tasks, in batches, at-least-once."""

    @broker.subscriber(
        ACCESS_EVENTS,
        COMPANY_RECORDS,
        group_id=settings.group_id,
        batch=True,
        max_records=500,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_events(message: KafkaMessage) -> None:
        """Apply grants and client task reports in order; nothing is committed on a database error."""
        records: Sequence[Any] = message.raw_message
        try:
            for event in await _decode_wanted(records, dead_letters):
                await apply(event, service, store)
        except PyMongoError:
            log.warning("tasks_consumer_write_failed_will_retry", exc_info=True)
            await asyncio.sleep(settings.retry_backoff_seconds)
            raise


async def apply(event: HubEvent, service: TaskService, store: TaskStore) -> None:
    """One consumed event's effect (idempotent)."""
    match event:
        case AccessGranted() | AccessRevoked():
            await store.save_grant(event)
        case ClientUserTasksReported():
            await service.apply_client_report(event)
        case ClientUserTaskWriteBack():
            await service.apply_write_back(event)
        case _:
            pass


async def _decode_wanted(records: Sequence[Any], dead_letters: DeadLetters) -> list[HubEvent]:
    """Our events only: by the `event_type` header when the producer set one, else by decoding.

    A poison message named ours by its header is parked; one without a header is the
    aggregator's to park (it reads the same topics), so it is only logged here."""
    events: list[HubEvent] = []
    for record in records:
        kind = dict(record.headers or ()).get("event_type")
        if kind is not None and kind not in WANTED:
            continue
        try:
            event = decode_event(record.value)
        except ValidationError as error:
            log.warning("undecodable_event", topic=record.topic, offset=record.offset, ours=kind is not None)
            if kind is not None:
                await dead_letters.park(record.topic, record.key, record.value, str(error)[:500])
            continue
        if event.event_type.encode() in WANTED:
            events.append(event)
    return events
