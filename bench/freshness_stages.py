"""Where a change's time goes on its way to the API, read from outside the services.

Stages of one change, each the difference of two clocks the system already has:
- notice: the change's moment in the books -> the simulator's webhook POST reaching the bench (the
  simulator posts to sync and to the bench from the same batch, at the same moment);
- sync_pulled: that notice -> `synced_at` of the first sync pass that read the change (sync stamps
  it after its pull; the wait for the company's lock and the request slots is in here);
- in_kafka: `synced_at` -> the Kafka timestamp of that pass's `company_sync.succeeded` event (the
  pass publishes its record events, then that one, acks=all);
- aggregator_to_api: in Kafka -> the bench's first API answer with the moved figures (the
  aggregator's queue and batch, then the bench's next read: `poll_gap` in freshness_at_scale.py).
Beside them, `aggregator_committed`: in Kafka -> the aggregator's consumer group committed past every
event of the pass (polled every COMMIT_POLL_SECONDS). It commits after a whole batch, so with long
batches a figure shows before its commit: this says how long a batch holds its events.
"""

from __future__ import annotations

import asyncio
import bisect
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from bench.hub_api import AGGREGATOR_GROUP
from bench.results import percentile
from shared.events import CompanySyncSucceeded, decode_event
from shared.topics import COMPANY_RECORDS, COMPANY_SYNC_STATUS

COMMIT_POLL_SECONDS = 0.25
STAGES = ("notice", "sync_pulled", "in_kafka", "aggregator_to_api")
Position = tuple[str, int, int]  # topic, partition, offset


@dataclass(frozen=True)
class SyncPass:
    """One successful sync pass of a company as it reached Kafka."""

    synced_at: datetime
    correlation_id: str
    in_kafka_at: datetime
    events: tuple[Position, ...]  # its record events and its status event

    @property
    def trigger(self) -> str:
        """What started the pass: a webhook, a refresh, or the poll."""
        if self.correlation_id.startswith("webhook:"):
            return "webhook"
        return "refresh" if self.correlation_id.startswith("refresh:") else "poll"


def _kafka_time(message: Any) -> datetime:
    return datetime.fromtimestamp(message.timestamp / 1000, UTC)


class PassLog:
    """Every successful sync pass of each company, with the positions of its events."""

    def __init__(self) -> None:
        self._records: dict[str, list[tuple[datetime, Position]]] = defaultdict(list)
        self._passes: dict[str, list[SyncPass]] = defaultdict(list)

    def take(self, message: Any) -> None:
        """One message of company.records or company.sync-status."""
        company = (message.key or b"").decode().lower()
        position = (message.topic, message.partition, message.offset)
        if message.topic == COMPANY_RECORDS:
            self._records[company].append((_kafka_time(message), position))
            return
        event = decode_event(message.value or b"")
        if not isinstance(event, CompanySyncSucceeded):
            return
        company = event.company_id.lower()
        at = _kafka_time(message)
        # The pass's record events were published just before it, after its pull.
        since = event.synced_at - timedelta(seconds=1)
        records = [p for t, p in self._records[company] if since <= t <= at]
        self._passes[company].append(
            SyncPass(event.synced_at, event.correlation_id, at, (*records, position))
        )

    def pass_of(self, company_id: str, changed_at: datetime, visible_at: datetime) -> SyncPass | None:
        """The first pass that ended after the change and reached Kafka before it showed."""
        after = [
            p
            for p in self._passes[company_id]
            if p.synced_at >= changed_at and p.in_kafka_at <= visible_at + timedelta(seconds=1)
        ]
        return min(after, key=lambda p: p.synced_at) if after else None


class KafkaTrail:
    """Reads company.records and company.sync-status from their ends into a PassLog."""

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._consumer: AIOKafkaConsumer | None = None
        self.log = PassLog()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start reading from the end of both topics."""
        self._consumer = consumer = AIOKafkaConsumer(
            COMPANY_RECORDS,
            COMPANY_SYNC_STATUS,
            bootstrap_servers=self._bootstrap,
            group_id=f"bench-freshness-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="latest",
        )
        await consumer.start()
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
        for partition in consumer.assignment():  # the position is fixed before anything happens
            await consumer.position(partition)
        self._task = asyncio.create_task(self._read(consumer))

    async def stop(self) -> None:
        """Stop reading."""
        if self._task is not None:
            self._task.cancel()
        if self._consumer is not None:
            await self._consumer.stop()

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                for message in messages:
                    self.log.take(message)


class CommitLog:
    """When each partition's committed offset was first seen past each offset."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int], tuple[list[int], list[datetime]]] = defaultdict(lambda: ([], []))

    def saw(self, topic: str, partition: int, committed: int, at: datetime) -> None:
        """A reading: the group's committed offset (the next one it will read) at `at`."""
        offsets, times = self._seen[(topic, partition)]
        if not offsets or committed > offsets[-1]:
            offsets.append(committed)
            times.append(at)

    def applied_at(self, position: Position) -> datetime | None:
        """When the group was first seen committed past this event (None: not seen yet)."""
        topic, partition, offset = position
        offsets, times = self._seen.get((topic, partition), ([], []))
        index = bisect.bisect_right(offsets, offset)  # the first reading with committed > offset
        return times[index] if index < len(offsets) else None

    def applied_at_all(self, positions: tuple[Position, ...]) -> datetime | None:
        """When the group had committed past every one of these events."""
        times = [self.applied_at(p) for p in positions]
        found = [t for t in times if t is not None]
        return max(found) if found and len(found) == len(times) else None


class AggregatorCommits:
    """Polls the aggregator group's committed offsets every COMMIT_POLL_SECONDS into a CommitLog."""

    def __init__(self, bootstrap: str) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self.log = CommitLog()
        self._task: asyncio.Task[None] | None = None
        self.polls = 0
        self.poll_errors = 0

    async def start(self) -> None:
        """Start polling."""
        await self._admin.start()
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
        await self._admin.close()

    async def _poll(self) -> None:
        while True:
            started = time.monotonic()
            try:
                committed = await self._admin.list_consumer_group_offsets(AGGREGATOR_GROUP)
            except KafkaError:
                self.poll_errors += 1
            else:
                now = datetime.now(UTC)
                self.polls += 1
                for tp, meta in committed.items():
                    self.log.saw(tp.topic, tp.partition, meta.offset, now)
            await asyncio.sleep(max(COMMIT_POLL_SECONDS - (time.monotonic() - started), 0.0))


@dataclass
class StageTimes:
    """Each stage's samples (ms) over the changes whose pass was found."""

    samples: dict[str, list[float]]
    committed: list[float] = field(default_factory=list)
    traced: int = 0
    untraced: int = 0

    @classmethod
    def empty(cls) -> StageTimes:
        """No samples yet."""
        return cls({stage: [] for stage in STAGES})

    def add(
        self,
        changed: datetime,
        noticed: datetime,
        sync: SyncPass | None,
        committed: datetime | None,
        visible: datetime,
    ) -> None:
        """One change's stages; a change whose pass was not seen counts as untraced."""
        if sync is None:
            self.untraced += 1
            return
        self.traced += 1
        marks = (changed, noticed, sync.synced_at, sync.in_kafka_at, visible)
        for stage, start, end in zip(STAGES, marks, marks[1:], strict=False):
            self.samples[stage].append(_ms(end - start))
        if committed is not None:
            self.committed.append(_ms(committed - sync.in_kafka_at))

    def summary(self) -> dict[str, Any]:
        """p50, p99 and mean of each stage (ms), in order, then the aggregator's commits."""
        stages = {stage: _spread(values) for stage, values in self.samples.items() if values}
        return {
            "changes_traced": self.traced,
            "changes_untraced": self.untraced,
            "stages": stages,
            "aggregator_committed": _spread(self.committed) if self.committed else None,
        }


def _ms(delta: timedelta) -> float:
    return delta.total_seconds() * 1000


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.5), 1),
        "p99_ms": round(percentile(values, 0.99), 1),
        "mean_ms": round(sum(values) / len(values), 1),
    }
