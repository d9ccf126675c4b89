"""Publishing events to Kafka: keyed by company, idempotent producer, acks=all, dead letters."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Sequence

from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from shared.events import EventBase, encode_event
from shared.settings import ServiceSettings
from shared.topics import dead_letter_topic

PRODUCER_BATCH_BYTES = 256 * 1024
PUBLISHES_AT_ONCE = 32


def make_broker(settings: ServiceSettings, client_id: str) -> KafkaBroker:
    """A broker whose producer cannot duplicate or reorder a partition's messages, over TLS/SASL when set."""
    return KafkaBroker(
        bootstrap_list(settings.kafka_bootstrap_servers),
        client_id=client_id,
        security=kafka_security(settings),
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        # aiokafka keeps one open batch per partition and a send waits for a full one to drain: at
        # 16 KiB (~10 events) a sync publishing the first pull of 1,000 companies at once had 865 of
        # them time out (KafkaTimeoutError after 40 s). 256 KiB stays under the broker's 1 MiB limit.
        max_batch_size=PRODUCER_BATCH_BYTES,
        # Per-message chatter at DEBUG; handler errors still reach the log at ERROR.
        logger=logging.getLogger(f"{client_id}.kafka"),
        log_level=logging.DEBUG,
    )


def bootstrap_list(servers: str) -> list[str]:
    """`host:port,host:port` as a list: faststream takes a plain string for one host only."""
    return [server.strip() for server in servers.split(",") if server.strip()]


def kafka_security(settings: ServiceSettings) -> BaseSecurity | None:
    """TLS (and SASL/SCRAM credentials) for the brokers, from HUB_KAFKA_*; None for plaintext."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    context = ssl.create_default_context(
        cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    )
    if settings.kafka_security_protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    username = settings.kafka_sasl_username or ""
    password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    sasl = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}
    return sasl[settings.kafka_sasl_mechanism](username, password, ssl_context=context, use_ssl=True)


class EventPublisher:
    """Publishes events keyed by company so each company's history stays in order.

    At most `at_once` publishes are in the producer together; the others wait here, with no clock
    running. In the producer each send has `request_timeout_ms` to get into a batch, so when sync
    published the first pull of 1,000 companies at once, the sends at the back of that queue timed
    out (244 of 1,000 even with 256 KiB batches) and their companies waited for the next poll."""

    def __init__(self, broker: KafkaBroker, at_once: int = PUBLISHES_AT_ONCE) -> None:
        self._broker = broker
        self._gate = asyncio.Semaphore(at_once)

    async def publish(self, topic: str, events: Sequence[EventBase]) -> None:
        """Send events and return once the broker has acknowledged every one."""
        async with self._gate:
            await publish_confirmed(
                self._broker,
                topic,
                [
                    (
                        encode_event(event),
                        event.company_id,
                        {"event_type": _event_type(event), "correlation_id": event.correlation_id},
                    )
                    for event in events
                ],
            )


async def publish_confirmed(
    broker: KafkaBroker, topic: str, messages: Sequence[tuple[bytes, str, dict[str, str]]]
) -> None:
    """Hand every (value, key, headers) to the producer at once, then wait until the broker has
    acknowledged them all (one producer batch instead of a round trip per message)."""
    pending = [
        await broker.publish(value, topic=topic, key=key.encode(), headers=headers, no_confirm=True)
        for value, key, headers in messages
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
