"""What the aggregator reports to Prometheus."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiokafka.structs import TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shared.events import HubEvent

BATCH_BUCKETS = (1, 10, 100, 500, 1000, 2500, 5000, 10_000, 25_000)
AGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


class AggregatorMetrics:
    """Events applied and dead-lettered, consumer lag per partition, projection age, batch time."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.applied = Counter(
            "hub_events_applied_total", "Events applied to projections", ["topic"], registry=registry
        )
        self.dead_lettered = Counter(
            "hub_events_dead_lettered_total", "Poison events parked in a DLQ", ["topic"], registry=registry
        )
        self.lag = Gauge(
            "hub_consumer_lag", "Messages behind the partition end", ["topic", "partition"], registry=registry
        )
        self.age = Histogram(
            "hub_projection_age_seconds",
            "From an event's occurrence to its projection written",
            buckets=AGE_BUCKETS,
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "hub_batch_duration_seconds", "Time to apply one batch", registry=registry
        )
        self.batch_events = Histogram(
            "hub_batch_events",
            "Records taken in one batch (a backlog fills batches up to AGGREGATOR_MAX_BATCH)",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )

    def batch_applied(
        self,
        records: Sequence[Any],
        topics: Sequence[str],
        events: Sequence[HubEvent],
        now: datetime,
        consumer: Any,
    ) -> None:
        """Count a committed batch's applied events (`topics`: each one's topic; poison ones were
        counted as dead-lettered instead), observe each event's age, and the lag left on each partition."""
        self.batch_events.observe(len(records))
        for topic in topics:
            self.applied.labels(topic).inc()
        for event in events:
            self.age.observe(max((now - event.occurred_at).total_seconds(), 0.0))
        self._record_lag(records, consumer)

    def _record_lag(self, records: Sequence[Any], consumer: Any) -> None:
        last: dict[tuple[str, int], int] = {}
        for record in records:
            key = (record.topic, record.partition)
            last[key] = max(last.get(key, -1), record.offset)
        for (topic, partition), offset in last.items():
            highwater = _highwater(consumer, topic, partition)
            if highwater is not None:
                self.lag.labels(topic, str(partition)).set(max(highwater - offset - 1, 0))


def _highwater(consumer: Any, topic: str, partition: int) -> int | None:
    try:
        value = consumer.highwater(TopicPartition(topic, partition))
    except (AttributeError, AssertionError):
        return None
    return int(value) if value is not None else None
