"""The gateway's Kafka side: the commands it sends and the refresh outcomes it reads (or neither)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker

from services.gateway.clients import ClientStore
from services.gateway.commands import CommandSink, CommandsUnavailableError, NoCommands
from services.gateway.progress import register_progress_subscriber
from services.gateway.refresh_jobs import RefreshJobStore
from services.gateway.settings import GatewaySettings
from shared.commands import CommandBase, CommandPublisher
from shared.events import EventBase
from shared.health import ReadinessCheck
from shared.kafka import EventPublisher, make_broker


class KafkaCommands:
    """Commands to Kafka; a broker that cannot take them becomes CommandsUnavailableError (503)."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._publisher = CommandPublisher(broker)
        self._events = EventPublisher(broker)

    async def send(self, topic: str, commands: Sequence[CommandBase]) -> None:
        """Send and wait for acknowledgement."""
        try:
            await self._publisher.send(topic, commands)
        except (KafkaError, OSError) as error:
            raise CommandsUnavailableError(type(error).__name__) from error

    async def publish(self, topic: str, events: Sequence[EventBase]) -> None:
        """Publish and wait for acknowledgement."""
        try:
            await self._events.publish(topic, events)
        except (KafkaError, OSError) as error:
            raise CommandsUnavailableError(type(error).__name__) from error


@dataclass
class Messaging:
    """The broker (None without Kafka) and the command sink the routes use."""

    broker: KafkaBroker | None
    commands: CommandSink

    @classmethod
    def create(cls, settings: GatewaySettings, jobs: RefreshJobStore, clients: ClientStore) -> Messaging:
        """A broker with the progress consumer, or no Kafka at all when it is disabled."""
        if not settings.kafka_enabled:
            return cls(None, NoCommands())
        broker = make_broker(settings.common, client_id="gateway")
        register_progress_subscriber(broker, jobs, clients, settings.progress_group_id, _utc_now)
        return cls(broker, KafkaCommands(broker))

    async def start(self) -> None:
        """Connect (and start consuming) when Kafka is enabled."""
        if self.broker is not None:
            await self.broker.start()

    async def stop(self) -> None:
        """Disconnect."""
        if self.broker is not None:
            await self.broker.stop()

    def readiness(self) -> dict[str, ReadinessCheck]:
        """The Kafka readiness check, when there is a broker."""
        broker = self.broker
        return {} if broker is None else {"kafka": lambda: broker.ping(timeout=2)}


def _utc_now() -> datetime:
    return datetime.now(UTC)
