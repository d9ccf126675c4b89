"""How the gateway sends commands: to Kafka, or nowhere when it runs without Kafka (reads only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shared.commands import CommandBase


class CommandsUnavailableError(Exception):
    """Commands cannot be sent right now (no Kafka configured, or the broker refused)."""


class CommandSink(Protocol):
    """Sends commands and returns once they are acknowledged."""

    async def send(self, topic: str, commands: Sequence[CommandBase]) -> None:
        """Send and wait for acknowledgement; CommandsUnavailableError when that cannot happen."""
        ...


class NoCommands:
    """The sink of a gateway started without Kafka: every command is refused with 503."""

    async def send(self, topic: str, commands: Sequence[CommandBase]) -> None:  # noqa: ARG002
        """Refuse."""
        raise CommandsUnavailableError("this gateway runs without Kafka")
