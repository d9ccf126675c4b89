"""The gateway's consumers: company.sync-status outcomes that answer refresh jobs, and sync's answers
to client registrations on client.connections.

Outcomes carry the refresh's correlation id; everything else on the topic is skipped. A message
the gateway cannot read is skipped too (the aggregator reads the same topic and parks poison
messages in its dead-letter topic; parking them twice would only add noise). Offsets are
committed after the outcomes were stored, so a crash re-reads them (storing is idempotent). A new
group starts at the earliest offset so that no outcome published while it joins is missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError
from pymongo.errors import PyMongoError

from services.gateway.clients import ClientStore
from services.gateway.refresh_jobs import Outcome, RefreshJobStore, job_of
from shared.commands import ClientConnectionReported
from shared.events import CompanySyncFailed, CompanySyncSucceeded, decode_event
from shared.topics import CLIENT_CONNECTIONS, COMPANY_SYNC_STATUS

log = structlog.get_logger()


def outcomes_of(values: Sequence[bytes]) -> list[Outcome]:
    """The refresh outcomes among raw company.sync-status messages."""
    outcomes = []
    for value in values:
        try:
            event = decode_event(value)
        except ValidationError:
            log.debug("unreadable_status_event_skipped")
            continue
        if not isinstance(event, CompanySyncSucceeded | CompanySyncFailed):
            continue
        job_id = job_of(event.correlation_id)
        if job_id is None:
            continue
        failed = isinstance(event, CompanySyncFailed)
        error = event.reason if isinstance(event, CompanySyncFailed) else None
        outcomes.append(Outcome(job_id, event.company_id, failed, error))
    return outcomes


def register_progress_subscriber(
    broker: KafkaBroker,
    jobs: RefreshJobStore,
    clients: ClientStore,
    group_id: str,
    now: Callable[[], datetime],
) -> None:
    """Store refresh outcomes (company.sync-status) and registration answers (client.connections)."""

    @broker.subscriber(
        COMPANY_SYNC_STATUS,
        group_id=group_id,
        batch=True,
        max_records=500,
        batch_timeout_ms=50,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_status(message: KafkaMessage) -> None:
        """Record a batch of outcomes; a database failure rewinds the batch."""
        records: Sequence[Any] = message.raw_message
        try:
            await jobs.record(outcomes_of([r.value for r in records]), now())
        except PyMongoError:
            log.warning("refresh_progress_write_failed_will_retry", exc_info=True)
            await asyncio.sleep(1.0)
            raise

    @broker.subscriber(
        CLIENT_CONNECTIONS,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_connection(message: KafkaMessage) -> None:
        """Record sync's answer to a client registration; a database failure rewinds it."""
        try:
            reply = ClientConnectionReported.model_validate_json(message.body)
        except ValidationError:
            log.warning("unreadable_connection_answer_skipped")
            return
        try:
            await clients.record(reply)
        except PyMongoError:
            log.warning("client_outcome_write_failed_will_retry", exc_info=True)
            await asyncio.sleep(1.0)
            raise
