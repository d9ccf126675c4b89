"""EventPublisher keeps at most `at_once` publishes in the producer: the rest wait outside it, where
no send timeout runs, and every event is still published and acknowledged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

from faststream.kafka import KafkaBroker

from shared.events import CompanySyncSucceeded
from shared.ids import CompanyId
from shared.kafka import EventPublisher


class SlowBroker:
    """Acknowledges each send after a moment; counts sends not yet acknowledged."""

    def __init__(self) -> None:
        self.unacknowledged = 0
        self.most_unacknowledged = 0
        self.acknowledged: list[bytes] = []

    async def publish(self, value: bytes, **_: Any) -> asyncio.Future[None]:
        self.unacknowledged += 1
        self.most_unacknowledged = max(self.most_unacknowledged, self.unacknowledged)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def ack() -> None:
            self.unacknowledged -= 1
            self.acknowledged.append(value)
            done.set_result(None)

        asyncio.get_running_loop().call_later(0.01, ack)
        return done


def events(company: int, count: int) -> list[CompanySyncSucceeded]:
    return [
        CompanySyncSucceeded(company_id=CompanyId(f"company-{company}"), seq=n + 1, synced_at=_now())
        for n in range(count)
    ]


def _now() -> datetime:
    return datetime.now(UTC)


async def test_a_burst_of_publishes_keeps_at_most_at_once_in_the_producer_and_publishes_all() -> None:
    broker = SlowBroker()
    publisher = EventPublisher(cast(KafkaBroker, broker), at_once=4)

    await asyncio.gather(*(publisher.publish("company.records", events(c, 5)) for c in range(100)))

    assert len(broker.acknowledged) == 500
    assert broker.most_unacknowledged == 4 * 5
