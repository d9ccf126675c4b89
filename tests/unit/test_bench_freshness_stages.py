"""The freshness bench's stage breakdown: which sync pass carried a change, when the aggregator had
committed past all of its events, how the time from the books to the API splits into stages, and how
busy the services' own counters say they were."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.freshness_stages import STAGES, CommitLog, PassLog, StageTimes, SyncPass
from bench.service_metrics import busy, waited
from shared.events import CompanySyncSucceeded, encode_event
from shared.ids import CompanyId
from shared.topics import COMPANY_RECORDS, COMPANY_SYNC_STATUS

T0 = datetime(2026, 11, 25, 12, tzinfo=UTC)
COMPANY = "5dee99c3-e6ef-4be7-b748-8a7ff26b8518"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass
class Message:
    """The fields of an aiokafka ConsumerRecord the trail reads."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    timestamp: int


def message(topic: str, offset: int, seconds: float, value: bytes = b"{}") -> Message:
    return Message(topic, 2, offset, COMPANY.encode(), value, int(at(seconds).timestamp() * 1000))


def succeeded(synced_seconds: float, correlation_id: str) -> bytes:
    event = CompanySyncSucceeded(
        company_id=CompanyId(COMPANY), seq=9, synced_at=at(synced_seconds), correlation_id=correlation_id
    )
    return encode_event(event)


def test_a_pass_carries_the_record_events_published_between_its_pull_and_its_status_event() -> None:
    trail = PassLog()
    trail.take(message(COMPANY_RECORDS, 40, 0.5))  # an earlier pass's
    trail.take(message(COMPANY_RECORDS, 41, 2.1))
    trail.take(message(COMPANY_RECORDS, 42, 2.2))
    trail.take(message(COMPANY_SYNC_STATUS, 7, 2.3, succeeded(2.0, "webhook:abc")))

    found = trail.pass_of(COMPANY, changed_at=at(1.0), visible_at=at(4.0))

    assert found == SyncPass(
        at(2.0),
        "webhook:abc",
        at(2.3),
        ((COMPANY_RECORDS, 2, 41), (COMPANY_RECORDS, 2, 42), (COMPANY_SYNC_STATUS, 2, 7)),
    )
    assert found.trigger == "webhook"
    assert trail.pass_of(COMPANY, changed_at=at(2.5), visible_at=at(4.0)) is None  # read before the change


def test_an_event_is_applied_when_the_committed_offset_first_passes_it() -> None:
    log = CommitLog()
    log.saw(COMPANY_RECORDS, 2, 41, at(1))  # committed = the next offset to read: 40 is applied
    log.saw(COMPANY_RECORDS, 2, 41, at(2))
    log.saw(COMPANY_RECORDS, 2, 43, at(3))
    log.saw(COMPANY_SYNC_STATUS, 2, 8, at(5))

    assert log.applied_at((COMPANY_RECORDS, 2, 40)) == at(1)
    assert log.applied_at((COMPANY_RECORDS, 2, 41)) == at(3)
    assert log.applied_at((COMPANY_RECORDS, 2, 43)) is None
    assert log.applied_at_all(((COMPANY_RECORDS, 2, 42), (COMPANY_SYNC_STATUS, 2, 7))) == at(5)
    assert log.applied_at_all(((COMPANY_RECORDS, 2, 43), (COMPANY_SYNC_STATUS, 2, 7))) is None


def test_the_stages_add_up_to_the_time_from_the_books_to_the_api() -> None:
    times = StageTimes.empty()
    sync = SyncPass(at(1.5), "webhook:abc", at(1.6), ())

    times.add(changed=at(0), noticed=at(0.25), sync=sync, committed=at(3.6), visible=at(2.7))
    times.add(changed=at(0), noticed=at(0.25), sync=None, committed=None, visible=at(9))

    summary = times.summary()
    stages = summary["stages"]
    assert list(stages) == list(STAGES)
    assert [stages[s]["p50_ms"] for s in STAGES] == [250.0, 1250.0, 100.0, 1100.0]
    assert sum(stages[s]["p50_ms"] for s in STAGES) == 2700.0
    assert summary["aggregator_committed"]["p50_ms"] == 2000.0  # a whole batch later than visible
    assert (summary["changes_traced"], summary["changes_untraced"]) == (1, 1)


def test_the_services_busyness_is_the_difference_of_their_counters_over_the_window() -> None:
    def reading(applied: float, batches: float, batch_seconds: float, passes: float) -> dict[str, Any]:
        return {
            "aggregator": {
                "hub_events_applied_total": applied,
                "hub_batch_duration_seconds_count": batches,
                "hub_batch_duration_seconds_sum": batch_seconds,
            },
            "sync": {
                "hub_sync_duration_seconds_count": passes,
                "hub_sync_duration_seconds_sum": passes * 2.0,
                "hub_client_requests_total": passes * 10,
            },
        }

    seen = busy(reading(1000, 10, 50, 100), reading(3000, 30, 140, 300), seconds=100)

    assert seen["aggregator_events_per_second"] == 20.0
    assert seen["aggregator_mean_batch_ms"] == 4500.0
    assert seen["aggregator_share_of_time_applying"] == 0.9  # near 1: the aggregator is the bottleneck
    assert seen["aggregator_batch"] == {"count": 20, "mean_ms": 4500.0, "p99_at_most_ms": None}
    assert (seen["sync_passes"], seen["sync_mean_pass_ms"], seen["sync_client_requests"]) == (
        200,
        2000.0,
        2000,
    )


def test_sync_waits_are_summarised_by_mean_and_the_bucket_their_p99_falls_in() -> None:
    def reading(count: float, seconds: float, buckets: dict[str, float]) -> dict[str, float]:
        return {
            "hub_sync_wait_seconds_count": count,
            "hub_sync_wait_seconds_sum": seconds,
            **{f"hub_sync_wait_seconds_bucket:{le}": n for le, n in buckets.items()},
        }

    before = reading(10, 1.0, {"0.1": 10, "1.0": 10, "5.0": 10, "+Inf": 10})
    # 100 more: 90 within 0.1 s, 9 more within 1 s, the last within 5 s (p99 is the 99th: within 1 s)
    after = reading(110, 13.0, {"0.1": 100, "1.0": 109, "5.0": 110, "+Inf": 110})

    seen = waited(before, after, "hub_sync_wait_seconds")

    assert seen == {"count": 100, "mean_ms": 120.0, "p99_at_most_ms": 1000.0}
    assert waited(after, after, "hub_sync_wait_seconds") == {
        "count": 0,
        "mean_ms": None,
        "p99_at_most_ms": None,
    }
