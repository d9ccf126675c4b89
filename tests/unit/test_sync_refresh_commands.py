"""Refresh commands: sync the company now, always say how it went, echo the asker's correlation id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from aiokafka.errors import KafkaTimeoutError
from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from services.sync.commands import TRANSIENT_ATTEMPTS, CommandDispatcher
from services.sync.commands import _run as run_command
from services.sync.directory import CompanyDirectory
from services.sync.handlers import SyncContext
from services.sync.poller import sync_connection
from services.sync.publishing import Outbox
from services.sync.refresh import NOT_FOUND, RefreshHandler
from shared.commands import RefreshRequested, encode_command
from shared.events import CompanySyncFailed, CompanySyncSucceeded, SalesInvoiceChanged
from shared.ids import CompanyId
from shared.kafka import DeadLetters
from tests.builders import NOW, sales_invoice
from tests.sync_fakes import InMemorySyncStateStore, MovableClock, RecordingSink, ScriptedConnector
from tests.unit.test_sync_handlers import client_connection, remote_company


@dataclass
class Parts:
    """One connection over scripted books, the events published, and the refresh handler."""

    connector: ScriptedConnector
    ctx: SyncContext
    sink: RecordingSink
    directory: CompanyDirectory
    handler: RefreshHandler


@pytest.fixture
def parts() -> Parts:
    connector, store, sink, clock = (
        ScriptedConnector(),
        InMemorySyncStateStore(),
        RecordingSink(),
        MovableClock(NOW),
    )
    outbox = Outbox(store, sink)
    ctx = SyncContext(client_connection(), connector, store, outbox, clock, timedelta(minutes=1))
    directory = CompanyDirectory()
    return Parts(connector, ctx, sink, directory, RefreshHandler(lambda: [ctx], directory, outbox, clock))


def refresh(company_id: str, correlation: str = "job-1") -> RefreshRequested:
    return RefreshRequested(company_id=CompanyId(company_id), correlation_id=correlation)


async def test_a_refresh_with_nothing_new_still_announces_success_with_the_correlation_id(
    parts: Parts,
) -> None:
    ctx, sink, directory, handler = parts.ctx, parts.sink, parts.directory, parts.handler
    company = parts.connector.add_company(remote_company(), sales_invoice())
    await sync_connection(ctx, directory.known(ctx.connection.client_id))
    before = len(sink.published)
    command = refresh(company.id, "job-42")
    await handler(command)
    (status,) = [e for _, e in sink.published[before:]]
    assert isinstance(status, CompanySyncSucceeded)
    assert (status.correlation_id, status.causation_id) == ("job-42", str(command.command_id))


async def test_a_refresh_publishes_the_changes_it_finds(
    parts: Parts,
) -> None:
    sink, handler = parts.sink, parts.handler
    company = parts.connector.add_company(remote_company(), sales_invoice())
    await handler(refresh(company.id))  # never polled: found by listing the connection again
    assert len(sink.of_type(SalesInvoiceChanged, CompanyId(company.id))) == 1
    assert sink.of_type(CompanySyncSucceeded)[-1].correlation_id == "job-1"


async def test_a_failing_company_reports_its_reason_to_every_refresh_not_only_the_first(
    parts: Parts,
) -> None:
    sink, handler = parts.sink, parts.handler
    company = parts.connector.add_company(remote_company())
    parts.connector.fail(company, "HTTP 503 from the client's system")
    await handler(refresh(company.id, "job-1"))
    await handler(refresh(company.id, "job-2"))
    failures = sink.of_type(CompanySyncFailed)
    assert [(f.correlation_id, f.reason) for f in failures] == [
        ("job-1", "HTTP 503 from the client's system"),
        ("job-2", "HTTP 503 from the client's system"),
    ]


async def test_refreshing_a_company_no_connection_lists_fails_with_a_reason(
    parts: Parts,
) -> None:
    sink, handler = parts.sink, parts.handler
    missing = str(uuid.uuid4())
    await handler(refresh(missing, "job-9"))
    (failure,) = sink.of_type(CompanySyncFailed)
    assert (failure.company_id, failure.reason, failure.correlation_id) == (missing, NOT_FOUND, "job-9")


async def test_dispatcher_routes_each_registered_command_and_refuses_others() -> None:
    seen: list[RefreshRequested] = []

    async def handle(command: RefreshRequested) -> None:
        seen.append(command)

    dispatcher = CommandDispatcher()
    dispatcher.register(RefreshRequested, handle)
    command = refresh("c1")
    await dispatcher.dispatch(dispatcher.decode(encode_command(command)))
    assert seen == [command]
    with pytest.raises(ValidationError):
        dispatcher.decode(b'{"event_type": "company.explode_requested", "correlation_id": "x"}')
    with pytest.raises(ValidationError):
        dispatcher.decode(b"not json")


async def test_a_command_failing_transiently_is_retried_alone_rather_than_rewinding_its_batch() -> None:
    attempts: list[RefreshRequested] = []

    async def flaky(command: RefreshRequested) -> None:
        attempts.append(command)
        if len(attempts) < TRANSIENT_ATTEMPTS:
            raise KafkaTimeoutError

    dispatcher = CommandDispatcher()
    dispatcher.register(RefreshRequested, flaky)
    record = SimpleNamespace(value=encode_command(refresh("c1")), key=b"c1", partition=0, offset=7)

    await run_command(record, dispatcher, DeadLetters(KafkaBroker()), 0)

    assert len(attempts) == TRANSIENT_ATTEMPTS, "retried until it went through, nothing raised"
