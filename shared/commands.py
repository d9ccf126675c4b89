"""Commands to the sync service on `sync.commands`: the envelope, the commands, and their publisher.

A command asks for work; sync answers through the events it already publishes (company.sync-status
events carry the command's `correlation_id`, so whoever asked can follow the outcome). Commands
share the events' discriminator field (`event_type`) so that one decoder can read any message on
the topic. Each command names its own Kafka key: the company for a refresh (so it queues behind
that company's other work), the connection for a client registration.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Literal, Protocol, TypeVar

from faststream.kafka import KafkaBroker
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.ids import AccountantId, CompanyId
from shared.kafka import publish_confirmed


class CommandBase(BaseModel):
    """The envelope every command carries."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    command_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    schema_version: int = 1
    issued_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str = Field(min_length=1, max_length=200, description="echoed on the outcome events")
    requested_by: AccountantId | None = Field(default=None, description="the accountant who asked")

    @property
    def key(self) -> str:
        """The Kafka key (overridden by each command)."""
        raise NotImplementedError


class RefreshRequested(CommandBase):
    """Sync this company now; its company.sync-status event carries `correlation_id`."""

    event_type: Literal["company.refresh_requested"] = "company.refresh_requested"
    schema_version: Literal[1] = 1
    company_id: CompanyId = Field(min_length=1, max_length=200)

    @property
    def key(self) -> str:
        """Keyed by company, like everything else about the company."""
        return self.company_id


class RegisterClient(CommandBase):
    """Connect a client's Business Central environment and grant its companies to `requested_by`."""

    event_type: Literal["client.register_requested"] = "client.register_requested"
    schema_version: Literal[1] = 1
    connection_id: str = Field(min_length=1, max_length=200, description="the gateway's id for it")
    client_name: str = Field(min_length=1, max_length=200)
    tenant: str = Field(min_length=1, max_length=200)
    environment: str = Field(min_length=1, max_length=100)
    oauth_client_id: str = Field(min_length=1, max_length=200)
    encrypted_secret: str = Field(
        min_length=1, description="the client secret, Fernet-encrypted with the shared credentials key"
    )

    @property
    def key(self) -> str:
        """Keyed by connection so a re-registration queues behind the previous one."""
        return self.connection_id


class CompleteUserTaskRequested(CommandBase):
    """Complete a user task in the client's system (the hub's write-back); the outcome comes back
    as a ClientUserTaskWriteBack event on company.records carrying `task_id`."""

    event_type: Literal["client_user_task.complete_requested"] = "client_user_task.complete_requested"
    schema_version: Literal[1] = 1
    company_id: CompanyId = Field(min_length=1, max_length=200)
    task_id: str = Field(min_length=1, max_length=100, description="the hub's task id")
    remote_id: str = Field(min_length=1, max_length=100, description="the task's id in the client's system")

    @property
    def key(self) -> str:
        """Keyed by company, behind that company's other work."""
        return self.company_id


class ClientConnectionReported(BaseModel):
    """Sync's answer to a RegisterClient: connected (with how many companies) or why not."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: Literal["client.connection_reported"] = "client.connection_reported"
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    schema_version: Literal[1] = 1
    occurred_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    connection_id: str = Field(min_length=1, max_length=200)
    correlation_id: str = Field(min_length=1, max_length=200, description="the RegisterClient's")
    causation_id: str | None = None
    state: Literal["connected", "failed"]
    reason: str | None = Field(default=None, max_length=500, description="why not (failed only)")
    companies: int = Field(default=0, ge=0, description="companies found in the environment")

    @property
    def key(self) -> str:
        """Keyed by connection, like the registration."""
        return self.connection_id


class Keyed(Protocol):
    """A message that names its own Kafka key and correlation id."""

    @property
    def key(self) -> str: ...

    @property
    def correlation_id(self) -> str: ...

    def model_dump_json(self) -> str: ...


def encode_command(command: Keyed) -> bytes:
    """Serialise a command for Kafka."""
    return command.model_dump_json().encode()


class CommandPublisher:
    """Publishes commands (and sync's answers to them) keyed by each one's own key, acks=all."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def send(self, topic: str, commands: Sequence[Keyed]) -> None:
        """Send and return once the broker has acknowledged every command."""
        await publish_confirmed(
            self._broker,
            topic,
            [
                (
                    encode_command(command),
                    command.key,
                    {"event_type": _kind(command), "correlation_id": command.correlation_id},
                )
                for command in commands
            ],
        )


def _kind(command: Keyed) -> str:
    return str(getattr(command, "event_type", type(command).__name__))


T = TypeVar("T")


def interleaved(items: Sequence[T], system_of: Callable[[T], str]) -> list[T]:
    """`items` taken round-robin across client systems, in order within each.

    Sync runs the refresh commands it has buffered as one batch, and a batch ends with its busiest
    client system. Sent system by system, a refresh-all's first batch held one system's companies
    while the others' API budgets idled (64.5% of the budget used); interleaved, any prefix keeps
    every system busy.
    """
    queues: dict[str, list[T]] = {}
    for item in items:
        queues.setdefault(system_of(item), []).append(item)
    rounds = max((len(q) for q in queues.values()), default=0)
    return [q[i] for i in range(rounds) for q in queues.values() if i < len(q)]
