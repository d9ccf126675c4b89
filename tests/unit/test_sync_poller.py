"""A poll pass over a client's companies: a company whose events Kafka did not acknowledge fails alone —
the others' changes are published and counted, and its own are sent again by the next pass, once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from aiokafka.errors import KafkaTimeoutError

from services.sync.connectors.base import RemoteCompany
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.handlers import SyncContext, sync_company
from services.sync.poller import sync_connection
from services.sync.publishing import Outbox
from services.sync.settings import ClientConnection
from shared.events import EventBase, SalesInvoiceChanged
from shared.ids import CompanyId
from tests.builders import NOW, sales_invoice
from tests.sync_fakes import InMemorySyncStateStore, MovableClock, RecordingSink, ScriptedConnector


@dataclass
class UnacknowledgingSink(RecordingSink):
    """Records what it publishes, but times out, as Kafka can, on the events of `failing` companies."""

    failing: set[str] = field(default_factory=set)

    async def publish(self, topic: str, events: Sequence[EventBase]) -> None:
        """Record the events, or raise KafkaTimeoutError if any belongs to a failing company."""
        if any(e.company_id in self.failing for e in events):
            raise KafkaTimeoutError("no acknowledgement within the request timeout")
        await super().publish(topic, events)


def context(connector: ScriptedConnector, store: InMemorySyncStateStore, sink: RecordingSink) -> SyncContext:
    """One client connection over scripted books, publishing to `sink`."""
    connection = ClientConnection(
        client_id="contoso", client_name="Contoso", tenant="t", oauth_client_id="hub", oauth_client_secret="s"
    )
    return SyncContext(
        connection, connector, store, Outbox(store, sink), MovableClock(NOW), timedelta(hours=1)
    )


async def test_a_company_kafka_did_not_acknowledge_fails_alone_and_its_changes_come_next_pass() -> None:
    connector, store, sink = ScriptedConnector(), InMemorySyncStateStore(), UnacknowledgingSink()
    ctx = context(connector, store, sink)
    first, stuck, third = (
        connector.add_company(RemoteCompany(id=name, name=name, web_url=""), sales_invoice(), sales_invoice())
        for name in ("first", "stuck", "third")
    )
    sink.failing.add(stuck.id)
    known: dict[str, RemoteCompany] = {}

    changed_while_stuck = await sync_connection(ctx, known)
    published_while_stuck = {e.company_id for e in sink.of_type(SalesInvoiceChanged)}
    stuck_state_while_stuck = store.states.get(CompanyId(stuck.id))
    sink.failing.clear()
    changed_after = await sync_connection(ctx, known)

    assert changed_while_stuck == 4, "the two other companies' invoices, counted"
    assert published_while_stuck == {first.id, third.id}
    assert stuck_state_while_stuck is None, "its watermarks did not move past what Kafka lost"
    assert changed_after == 2
    stuck_invoices = [e.invoice.id for e in sink.of_type(SalesInvoiceChanged, CompanyId(stuck.id))]
    assert sorted(stuck_invoices) == sorted(connector.invoices[stuck.id]), "each sent once, next pass"


@dataclass
class TimedConnector(ScriptedConnector):
    """Scripted books that note when each company was first asked for its records."""

    first_asked: dict[str, float] = field(default_factory=dict)

    def records_changed_since(self, company, feed, since):  # type: ignore[no-untyped-def]
        self.first_asked.setdefault(company.id, time.monotonic())
        return super().records_changed_since(company, feed, since)


async def test_a_spread_pass_starts_its_companies_evenly_over_the_spread_not_at_once() -> None:
    connector, store, sink = TimedConnector(), InMemorySyncStateStore(), RecordingSink()
    ctx = context(connector, store, sink)
    for name in ("a", "b", "c", "d"):
        connector.add_company(RemoteCompany(id=name, name=name, web_url=""), sales_invoice())

    started = time.monotonic()
    changed = await sync_connection(ctx, {}, spread=0.4)

    assert changed == 4, "every company synced in the one pass"
    offsets = [connector.first_asked[name] - started for name in ("a", "b", "c", "d")]
    for index, offset in enumerate(offsets):
        assert offset >= index * 0.1, f"company {index} started {offset:.3f} s in, before its turn"
    assert offsets[0] < 0.1, "the first company starts at once"


@dataclass
class SlowAcknowledgingSink(RecordingSink):
    """Acknowledges after a while, as a busy Kafka does; notes how many companies were between their
    first request and their acknowledgement at once (what sync holds in memory)."""

    asked: set[str] = field(default_factory=set)
    most_at_once: int = 0

    async def publish(self, topic: str, events: Sequence[EventBase]) -> None:
        """Wait, then record the events and let their company go."""
        self.most_at_once = max(self.most_at_once, len(self.asked))
        await asyncio.sleep(0.01)
        await super().publish(topic, events)
        self.asked.difference_update(e.company_id for e in events)


@dataclass
class NotingConnector(ScriptedConnector):
    """Scripted books that tell the sink which companies were asked."""

    sink: SlowAcknowledgingSink = field(default_factory=SlowAcknowledgingSink)

    def records_changed_since(self, company, feed, since):  # type: ignore[no-untyped-def]
        self.sink.asked.add(company.id)
        return super().records_changed_since(company, feed, since)


async def test_a_pass_over_many_companies_holds_at_most_the_connections_limit_at_once() -> None:
    sink = SlowAcknowledgingSink()
    connector, store = NotingConnector(sink=sink), InMemorySyncStateStore()
    ctx = replace(context(connector, store, sink), passes=asyncio.Semaphore(2))
    names = [f"company-{n}" for n in range(8)]
    for name in names:
        connector.add_company(RemoteCompany(id=name, name=name, web_url=""), sales_invoice())

    changed = await sync_connection(ctx, {})

    assert changed == 8, "every company synced in the one pass"
    assert {e.company_id for e in sink.of_type(SalesInvoiceChanged)} == set(names)
    assert sink.most_at_once == 2, "two companies pulled and waiting for Kafka at once, never more"


async def test_the_process_syncs_at_most_its_limit_of_companies_at_once_over_all_its_connections() -> None:
    sink, store = SlowAcknowledgingSink(), InMemorySyncStateStore()
    process_turns = asyncio.Semaphore(3)
    contexts = []
    for connection in ("north", "south"):
        connector = NotingConnector(sink=sink)
        for n in range(4):
            name = f"{connection}-{n}"
            connector.add_company(RemoteCompany(id=name, name=name, web_url=""), sales_invoice())
        contexts.append(replace(context(connector, store, sink), process_passes=process_turns))

    changed = await asyncio.gather(*(sync_connection(ctx, {}) for ctx in contexts))

    assert changed == [4, 4], "every company of both connections synced"
    assert sink.most_at_once == 3, "three companies at once in all, though each connection allows five"


async def test_a_poll_waits_while_the_request_window_is_mostly_used_and_a_notified_pass_goes_first() -> None:
    connector, store, sink = ScriptedConnector(), InMemorySyncStateStore(), RecordingSink()
    now = [0.0]
    budget = SlidingWindowBudget(limit=600, window_seconds=300, clock=lambda: now[0])  # 2 a second
    ctx = replace(context(connector, store, sink), budget=budget, poll_budget_share=0.5)
    busy = connector.add_company(RemoteCompany(id="busy", name="busy", web_url=""), sales_invoice())
    for _ in range(10):  # polls' share of 10 s (half of 20 requests), just used
        async with budget.request():
            pass

    poll = asyncio.create_task(sync_connection(ctx, {}))
    await asyncio.sleep(0.05)
    notified = await sync_company(ctx, busy, only=frozenset({"salesInvoices"}))
    poll_waited = not poll.done()
    now[0] = 11.0  # those requests are 10 s old
    async with budget.request():  # an answer wakes whoever waits for room
        pass
    polled = await asyncio.wait_for(poll, timeout=5)

    assert poll_waited, "the poll left the rest of the budget to the notified pass"
    assert notified == 1, "the notified pass synced the change"
    assert polled == 0, "then the poll ran, and found it already sent"
    assert [e.invoice.id for e in sink.of_type(SalesInvoiceChanged)] == list(connector.invoices[busy.id])
