"""The event contracts, as an AsyncAPI document: which events travel on which topic, with their schemas.

`make contracts` writes docs/contracts/asyncapi.json (and the gateway's openapi.json); a test fails
when the code and the committed documents drift apart.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from faststream.specification import AsyncAPI
from pydantic import BaseModel, Field

from shared import commands as cmd
from shared import events as ev
from shared.kafka import make_broker
from shared.settings import ServiceSettings
from shared.topics import (
    ACCESS_EVENTS,
    CLIENT_CONNECTIONS,
    COMPANY_RECORDS,
    COMPANY_SYNC_STATUS,
    SYNC_COMMANDS,
    TASKS_EVENTS,
    dead_letter_topic,
)

TOPIC_EVENTS: dict[str, tuple[type[ev.EventBase], ...]] = {
    COMPANY_RECORDS: (
        ev.CompanyDiscovered,
        ev.SalesInvoiceChanged,
        ev.PurchaseInvoiceChanged,
        ev.SalesDocumentChanged,
        ev.RecordDeleted,
        ev.AccountChanged,
        ev.AgedPayablesReported,
        ev.AgedReceivablesReported,
        ev.LedgerEntriesPosted,
        ev.ClientUserTasksReported,
        ev.ClientUserTaskWriteBack,
    ),
    COMPANY_SYNC_STATUS: (ev.CompanySyncSucceeded, ev.CompanySyncFailed),
    ACCESS_EVENTS: (ev.AccessGranted, ev.AccessRevoked),
    TASKS_EVENTS: ev.TASK_EVENTS,
}
COMMAND_TOPICS: dict[str, tuple[type[BaseModel], ...]] = {
    SYNC_COMMANDS: (cmd.RefreshRequested, cmd.RegisterClient, cmd.CompleteUserTaskRequested),
    CLIENT_CONNECTIONS: (cmd.ClientConnectionReported,),
}
"""Commands to sync, and sync's answers to client registrations: each keyed by its own `key`."""


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every topic: its events, keyed by company_id, JSON."""
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers="kafka:9092"), client_id="contracts")
    for topic, kinds in TOPIC_EVENTS.items():
        union: Any = Annotated[
            kinds[0] if len(kinds) == 1 else _union(kinds), Field(discriminator="event_type")
        ]
        broker.publisher(
            topic,
            schema=union,
            title=f"{topic}:events",
            description=(
                "Keyed by company_id; seq increases per company. "
                f"Poison events go to {dead_letter_topic(topic)}."
            ),
        )
    for topic, messages in COMMAND_TOPICS.items():
        union = Annotated[
            messages[0] if len(messages) == 1 else _union(messages), Field(discriminator="event_type")
        ]
        broker.publisher(
            topic,
            schema=union,
            title=f"{topic}:messages",
            description=(
                "Keyed by the company a command is about (by the connection for client registrations). "
                f"Poison messages go to {dead_letter_topic(topic)}."
            ),
        )
    spec = AsyncAPI(broker, title="Accountant Hub events", version="1").to_specification()
    document: dict[str, Any] = json.loads(spec.to_json())
    return document


def _union(kinds: tuple[type[BaseModel], ...]) -> Any:
    union: Any = kinds[0]
    for kind in kinds[1:]:
        union = union | kind
    return union
