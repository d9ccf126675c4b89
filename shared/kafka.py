"""Publishing events to Kafka: keyed by company, idempotent producer, acks=all, dead letters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from faststream.kafka import KafkaBroker

from shared.events import EventBase, encode_event
from shared.topics import dead_letter_topic


def make_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    """A broker whose producer cannot duplicate or reorder a partition's messages."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        # Per-message chatter at DEBUG; handler errors still reach the log at ERROR.
        logger=logging.getLogger(f"{client_id}.kafka"),
        log_level=logging.DEBUG,
    )


class EventPublisher:
    """Publishes events keyed by company so each company's history stays in order."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def publish(self, topic: str, events: Sequence[EventBase]) -> None:
        """Send events and return once the broker has acknowledged every one."""
        pending = [
            await self._broker.publish(
                encode_event(event),
                topic=topic,
                key=event.company_id.encode(),
                headers={"event_type": _event_type(event), "correlation_id": event.correlation_id},
                no_confirm=True,
            )
            for event in events
        ]
        await asyncio.gather(*pending)


class DeadLetters:
    """Parks a poison message in `<topic>.dlq` with the reason, so the consumer can move on."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def park(self, topic: str, key: bytes | None, value: bytes, reason: str) -> None:
        """Publish the original bytes with headers naming the source topic and the reason."""
        await self._broker.publish(
            value,
            topic=dead_letter_topic(topic),
            key=key,
            headers={"dlq_source_topic": topic, "dlq_reason": reason[:1000]},
        )


def _event_type(event: EventBase) -> str:
    return str(getattr(event, "event_type", type(event).__name__))
