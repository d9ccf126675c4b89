"""The aggregator's counters: a poison event is counted as dead-lettered, never as applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from services.aggregator.metrics import AggregatorMetrics
from services.aggregator.subscribers import decode_or_park
from shared.events import CompanyDiscovered, encode_event
from shared.ids import CompanyId
from shared.records import CompanyProfile
from shared.topics import COMPANY_RECORDS


@dataclass(frozen=True)
class Record:
    """The fields of an aiokafka ConsumerRecord the subscriber reads."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


class ParkedLetters:
    """Stands in for shared.kafka.DeadLetters: remembers what was parked."""

    def __init__(self) -> None:
        self.parked: list[tuple[str, str]] = []

    async def park(self, topic: str, key: bytes | None, value: bytes, reason: str) -> None:  # noqa: ARG002
        self.parked.append((topic, reason))


def _discovered(seq: int) -> bytes:
    profile = CompanyProfile(client_id="c", client_name="Client", company_name="Company")
    return encode_event(CompanyDiscovered(company_id=CompanyId("co-1"), seq=seq, company=profile))


async def test_poison_events_are_counted_as_dead_lettered_and_not_as_applied() -> None:
    registry = CollectorRegistry()
    metrics = AggregatorMetrics(registry)
    records = [
        Record(COMPANY_RECORDS, 0, 0, b"co-1", _discovered(1)),
        Record(COMPANY_RECORDS, 0, 1, b"co-1", b"{not json"),
        Record(COMPANY_RECORDS, 0, 2, b"co-1", _discovered(2)),
    ]
    letters = ParkedLetters()

    decoded = await decode_or_park(records, letters, metrics)
    metrics.batch_applied(records, decoded.topics, decoded.events, datetime.now(UTC), consumer=None)

    assert [e.seq for e in decoded.events] == [1, 2]
    assert [topic for topic, _ in letters.parked] == [COMPANY_RECORDS]
    applied = registry.get_sample_value("hub_events_applied_total", {"topic": COMPANY_RECORDS})
    parked = registry.get_sample_value("hub_events_dead_lettered_total", {"topic": COMPANY_RECORDS})
    assert (applied, parked) == (2.0, 1.0)
    assert registry.get_sample_value("hub_batch_events_sum") == 3.0  # records taken, poison included
