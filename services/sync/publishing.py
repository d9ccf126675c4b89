"""Numbering a company's events with fresh per-company seqs and publishing them together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from services.sync.repository import SyncStateStore
from shared.events import EventBase
from shared.ids import CompanyId

EventFactory = Callable[[int], EventBase]


class EventSink(Protocol):
    """Publishes events to a topic (shared.kafka.EventPublisher, or a fake in unit tests)."""

    async def publish(self, topic: str, events: Sequence[EventBase]) -> None:
        """Send and wait for acknowledgement."""
        ...


@dataclass
class CompanyBatch:
    """Events of one company, numbered in the order they were added."""

    company_id: CompanyId
    store: SyncStateStore
    sink: EventSink
    pending: list[tuple[str, EventFactory]] = field(default_factory=list)

    def add(self, topic: str, make: EventFactory) -> None:
        """Queue an event; `make` receives its seq."""
        self.pending.append((topic, make))

    async def publish(self) -> None:
        """Reserve seqs for every queued event, then publish per topic and wait for the acks."""
        if not self.pending:
            return
        seqs = await self.store.reserve_seqs(self.company_id, len(self.pending))
        by_topic: dict[str, list[EventBase]] = {}
        for seq, (topic, make) in zip(seqs, self.pending, strict=True):
            by_topic.setdefault(topic, []).append(make(seq))
        for topic, events in by_topic.items():
            await self.sink.publish(topic, events)
        self.pending.clear()


@dataclass(frozen=True)
class Outbox:
    """Hands out per-company batches."""

    store: SyncStateStore
    sink: EventSink

    def batch(self, company_id: CompanyId) -> CompanyBatch:
        """A new, empty batch for one company."""
        return CompanyBatch(company_id, self.store, self.sink)
