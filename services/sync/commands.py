"""The sync.commands consumer: decode, park poison commands, run each through its handler, then commit.

Adding a command takes one line where the app is composed: `dispatcher.register(Kind, handler)`.
Commands of a batch run concurrently (a refresh-all is as fast as the client systems allow, not
one company after another); offsets are committed only after every command of the batch ran, so a
crash re-runs them (every handler is safe to repeat: syncs are incremental, registrations upsert).
Batches are large (SYNC_COMMAND_BATCH, 1000) because a batch ends with its slowest client system:
with small ones, each environment idled until the busiest environment of every batch was done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, TypeVar

import structlog
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pymongo.errors import PyMongoError

from shared.kafka import DeadLetters
from shared.topics import SYNC_COMMANDS

log = structlog.get_logger()
C = TypeVar("C", bound=BaseModel)
Handler = Callable[[Any], Awaitable[None]]
TRANSIENT = (PyMongoError, KafkaError, OSError)
TRANSIENT_ATTEMPTS = 3


class UnknownCommandError(ValueError):
    """A message on sync.commands that no registered handler reads."""


class CommandDispatcher:
    """Reads any registered command from its bytes and runs its handler."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._kinds: list[type[BaseModel]] = []
        self._adapter: TypeAdapter[Any] | None = None

    def register(self, kind: type[C], handler: Callable[[C], Awaitable[None]]) -> None:
        """Route commands of `kind` (a model with a literal `event_type`) to `handler`."""
        self._handlers[str(kind.model_fields["event_type"].default)] = handler
        self._kinds.append(kind)
        self._adapter = None

    def decode(self, raw: bytes) -> BaseModel:
        """The command in `raw`; pydantic.ValidationError for anything no handler reads."""
        if not self._kinds:
            raise UnknownCommandError("no command handlers registered")
        if self._adapter is None:
            union: Any = self._kinds[0]
            for kind in self._kinds[1:]:
                union = union | kind
            self._adapter = TypeAdapter(Annotated[union, Field(discriminator="event_type")])
        command: BaseModel = self._adapter.validate_json(raw)
        return command

    async def dispatch(self, command: BaseModel) -> None:
        """Run the command's handler."""
        await self._handlers[str(getattr(command, "event_type", ""))](command)


def register_command_subscriber(
    broker: KafkaBroker,
    dispatcher: CommandDispatcher,
    dead_letters: DeadLetters,
    group_id: str,
    max_batch: int,
    retry_backoff_seconds: float = 1.0,
) -> None:
    """Consume sync.commands in batches, at-least-once; poison commands go to sync.commands.dlq."""

    @broker.subscriber(
        SYNC_COMMANDS,
        group_id=group_id,
        batch=True,
        max_records=max_batch,
        batch_timeout_ms=50,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_commands(message: KafkaMessage) -> None:
        """Run a batch; a transient failure rewinds it (nothing is committed), so it runs again."""
        records: Sequence[Any] = message.raw_message
        outcomes = await asyncio.gather(
            *(_run(record, dispatcher, dead_letters, retry_backoff_seconds) for record in records),
            return_exceptions=True,
        )
        transient = [o for o in outcomes if isinstance(o, BaseException)]
        if transient:
            log.warning("commands_failed_will_retry", failed=len(transient), exc_info=transient[0])
            await asyncio.sleep(retry_backoff_seconds)
            raise transient[0]


async def _run(
    record: Any, dispatcher: CommandDispatcher, dead_letters: DeadLetters, backoff_seconds: float
) -> None:
    try:
        command = dispatcher.decode(record.value)
    except (ValidationError, UnknownCommandError) as error:
        await _park(record, dead_letters, f"undecodable: {_reason(error)}")
        return
    try:
        await _dispatch_retrying(dispatcher, command, backoff_seconds)
    except TRANSIENT:
        raise
    except Exception as error:
        # A bug or a command no retry can fix: park it with the reason rather than block the topic.
        log.exception("command_failed_parked", partition=record.partition, offset=record.offset)
        await _park(record, dead_letters, f"{type(error).__name__}: {str(error)[:300]}")


async def _dispatch_retrying(
    dispatcher: CommandDispatcher, command: BaseModel, backoff_seconds: float
) -> None:
    """A transient failure is retried here first: rewinding the batch would re-run every command in
    it (a refresh-all is one batch: a thousand companies' requests against their clients' budgets)."""
    for attempt in range(1, TRANSIENT_ATTEMPTS + 1):
        try:
            await dispatcher.dispatch(command)
            return
        except TRANSIENT:
            if attempt == TRANSIENT_ATTEMPTS:
                raise
            await asyncio.sleep(backoff_seconds * attempt)


async def _park(record: Any, dead_letters: DeadLetters, reason: str) -> None:
    log.warning("poison_command_parked", partition=record.partition, offset=record.offset, reason=reason)
    await dead_letters.park(SYNC_COMMANDS, record.key, record.value, reason)


def _reason(error: Exception) -> str:
    if not isinstance(error, ValidationError):
        return str(error)
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "message"
    return f"{where}: {first['msg']} ({error.error_count()} error(s))"
