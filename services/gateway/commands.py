"""How the gateway sends commands and publishes its own events (access.events): to Kafka, or nowhere
when it runs without Kafka (reads only; every write that needs Kafka answers 503)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shared.commands import CommandBase
from shared.events import EventBase


class CommandsUnavailableError(Exception):
    """Commands cannot be sent right now (no Kafka configured, or the broker refused)."""


class CommandSink(Protocol):
    """Sends commands and returns once they are acknowledged."""

    async def send(self, topic: str, commands: Sequence[CommandBase]) -> None:
        """Send and wait for acknowledgement; CommandsUnavailableError when that cannot happen."""
        ...

    async def publish(self, topic: str, events: Sequence[EventBase]) -> None:
        """Publish the gateway's own events, keyed by company; CommandsUnavailableError when impossible."""
        ...


class NoCommands:
    """The sink of a gateway started without Kafka: every command is refused with 503."""

    async def send(self, topic: str, commands: Sequence[CommandBase]) -> None:  # noqa: ARG002
        """Refuse."""
        raise CommandsUnavailableError("this gateway runs without Kafka")

    async def publish(self, topic: str, events: Sequence[EventBase]) -> None:  # noqa: ARG002
        """Refuse."""
        raise CommandsUnavailableError("this gateway runs without Kafka")
