"""The Business Central connector reads a client's books exactly, through the local BC simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import httpx
import pytest
from pydantic import SecretStr

from deploy.local.bc_simulator import SimulatedBooks, SimulatorSettings, create_app, generate_books
from deploy.local.bc_simulator.books import SimulatedCompany, SimulatedTenant
from services.sync.connectors.base import ClientSystemError, RemoteCompany
from services.sync.connectors.bc_client import MAX_ATTEMPTS, BusinessCentralClient
from services.sync.connectors.bc_mapping import aged_balance, normalise_enum, parse_date
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.connectors.business_central import BusinessCentralConnector
from services.sync.handlers import SyncContext, sync_company
from services.sync.publishing import Outbox
from services.sync.settings import ClientConnection
from shared.events import CompanySyncFailed
from shared.records import SalesInvoice, SalesInvoiceStatus
from tests.sync_fakes import InMemorySyncStateStore, MovableClock, RecordingSink

BASE_URL = "http://bc.test"
WEB_CLIENT = "https://businesscentral.dynamics.com"
PAGE_SIZE = 7
TODAY = date(2026, 11, 25)
CLIENT_SLEEP = "services.sync.connectors.bc_client.asyncio.sleep"


@dataclass
class Bc:
    """A connector wired to one tenant of a simulator served in-process."""

    http: httpx.AsyncClient
    connection: ClientConnection
    connector: BusinessCentralConnector
    tenant: SimulatedTenant
    token_requests: list[httpx.Request]

    async def company(self, index: int = 0) -> tuple[RemoteCompany, SimulatedCompany]:
        """A company as the connector lists it, and as the simulator's books hold it."""
        listed = await self.connector.list_companies()
        simulated = self.tenant.companies[index]
        return next(c for c in listed if c.id == str(simulated.company.id)), simulated

    async def invoices(self, company: RemoteCompany, since: datetime | None = None) -> list[SalesInvoice]:
        """Every invoice page the connector yields, flattened."""
        pages = self.connector.records_changed_since(company, "salesInvoices", since)
        records = [record async for page in pages for record in page]
        return [record for record in records if isinstance(record, SalesInvoice)]

    async def control(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """Call the simulator's control API (`/_simulator/...`)."""
        response = await self.http.post(f"/_simulator{path}", **kwargs)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def books() -> SimulatedBooks:
    return generate_books(seed=11, tenants=2, companies_per_tenant=2, today=TODAY)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))


@asynccontextmanager
async def simulated(books: SimulatedBooks, clock: MovableClock, **settings: Any) -> AsyncIterator[Bc]:
    sim = SimulatorSettings(**{"page_size": PAGE_SIZE, **settings})
    tokens: list[httpx.Request] = []

    async def record_token_request(request: httpx.Request) -> None:
        if request.url.path.endswith("/oauth2/v2.0/token"):
            tokens.append(request)

    transport = httpx.ASGITransport(app=create_app(books, sim, clock=clock))
    tenant = books.tenants[0]
    connection = ClientConnection(
        client_id="contoso",
        client_name=tenant.name,
        tenant=str(tenant.id),
        environment=sim.environment,
        api_base_url=BASE_URL,
        login_base_url=BASE_URL,
        web_client_url=WEB_CLIENT,
        oauth_client_id=sim.client_id,
        oauth_client_secret=SecretStr(sim.client_secret),
    )
    hooks = {"request": [record_token_request]}
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, event_hooks=hooks) as http:
        connector = BusinessCentralConnector(
            BusinessCentralClient(http, connection, 5, SlidingWindowBudget(6000, 300)), connection
        )
        yield Bc(http, connection, connector, tenant, tokens)


@pytest.fixture
async def bc(books: SimulatedBooks, clock: MovableClock) -> AsyncIterator[Bc]:
    async with simulated(books, clock) as connected:
        yield connected


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The client's backoff sleeps, recorded instead of waited for."""
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def no_wait(delay: float) -> None:
        delays.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(CLIENT_SLEEP, no_wait)
    return delays


async def test_lists_every_company_of_the_clients_environment(bc: Bc) -> None:
    companies = await bc.connector.list_companies()

    assert sorted((c.id, c.name) for c in companies) == sorted(
        (str(c.company.id), c.company.display_name) for c in bc.tenant.companies
    )


async def test_every_invoice_arrives_exactly_once_across_pages_with_exact_amounts(bc: Bc) -> None:
    company, simulated_company = await bc.company()
    expected = {str(i.id): i for i in simulated_company.sales_invoices}

    pages = [page async for page in bc.connector.records_changed_since(company, "salesInvoices", None)]
    invoices = [i for page in pages for i in page if isinstance(i, SalesInvoice)]

    assert len(pages) == -(-len(expected) // PAGE_SIZE) > 2
    assert sorted(i.id for i in invoices) == sorted(expected)
    for invoice in invoices:
        book = expected[invoice.id]
        assert (invoice.number, invoice.customer_number, invoice.currency) == (
            book.number,
            book.customer_number,
            book.currency_code,
        )
        assert invoice.status == SalesInvoiceStatus(book.status)
        assert invoice.due_date == book.due_date
        assert invoice.last_modified_at == book.last_modified_date_time
        assert isinstance(invoice.total_amount, Decimal)
        assert isinstance(invoice.remaining_amount, Decimal)
        # str() also compares the exponent: "10.10" stays "10.10", as no float was involved.
        assert str(invoice.total_amount) == str(book.total_amount_including_tax)
        assert str(invoice.remaining_amount) == str(book.remaining_amount)


async def test_since_returns_only_invoices_changed_at_or_after_it(bc: Bc) -> None:
    company, _ = await bc.company()
    everything = await bc.invoices(company)
    watermark = max(i.last_modified_at for i in everything)
    at_watermark = {i.id for i in everything if i.last_modified_at == watermark}
    to_pay = next(i for i in everything if i.status is SalesInvoiceStatus.OPEN and i.id not in at_watermark)
    to_overdue = next(i for i in everything if i.status is SalesInvoiceStatus.PAID)

    assert {i.id for i in await bc.invoices(company, since=watermark)} == at_watermark
    await bc.control(f"/companies/{company.id}/salesInvoices/{to_pay.id}/pay")
    await bc.control(
        f"/companies/{company.id}/salesInvoices/{to_overdue.id}/make-overdue", params={"today": "2026-11-25"}
    )
    changed = {i.id: i for i in await bc.invoices(company, since=watermark)}

    assert set(changed) == at_watermark | {to_pay.id, to_overdue.id}
    paid, overdue = changed[to_pay.id], changed[to_overdue.id]
    assert (paid.status, paid.remaining_amount) == (SalesInvoiceStatus.PAID, Decimal("0.00"))
    assert (overdue.status, overdue.due_date) == (SalesInvoiceStatus.OPEN, date(2026, 11, 24))
    assert overdue.remaining_amount > 0
    assert [i.id for i in await bc.invoices(company, since=overdue.last_modified_at)] == [to_overdue.id]


async def test_a_token_that_expired_is_refreshed_without_failing_the_sync(
    books: SimulatedBooks, clock: MovableClock
) -> None:
    async with simulated(books, clock, token_ttl_seconds=600) as bc:
        company, simulated_company = await bc.company()
        clock.advance(timedelta(hours=1))

        invoices = await bc.invoices(company)

    assert len(invoices) == len(simulated_company.sales_invoices)
    assert len(bc.token_requests) == 2


async def test_a_failing_company_raises_an_error_naming_the_http_status(
    bc: Bc, backoffs: list[float]
) -> None:
    company, _ = await bc.company()
    await bc.control(f"/companies/{company.id}/fail", json={"status_code": 503})

    with pytest.raises(ClientSystemError, match=r"^HTTP 503 from the client's system \(Unavailable: "):
        await bc.invoices(company)

    assert backoffs == [1.0] * (MAX_ATTEMPTS - 1), "Retry-After: 1 is honoured on every retry"


async def test_a_company_answering_garbage_is_retried_then_raises_an_error_saying_it_was_not_json(
    bc: Bc, backoffs: list[float]
) -> None:
    company, _ = await bc.company()
    await bc.control(f"/companies/{company.id}/fail", json={"garbage": True})

    with pytest.raises(
        ClientSystemError,
        match=r"^HTTP 200 from the client's system for salesInvoices was not JSON \(text/html.*will retry",
    ):
        await bc.invoices(company)

    assert len(backoffs) == MAX_ATTEMPTS - 1, "a proxy's page in the way is often passing: asked again"


async def test_a_company_that_recovers_while_being_retried_is_read_in_full(
    bc: Bc, monkeypatch: pytest.MonkeyPatch
) -> None:
    company, simulated_company = await bc.company()
    await bc.control(f"/companies/{company.id}/fail", json={"status_code": 503})
    real_sleep = asyncio.sleep

    async def heal_while_waiting(_delay: float) -> None:
        await bc.control(f"/companies/{company.id}/fail")
        await real_sleep(0)

    monkeypatch.setattr(CLIENT_SLEEP, heal_while_waiting)

    invoices = await bc.invoices(company)

    assert len(invoices) == len(simulated_company.sales_invoices)


async def test_a_failing_company_does_not_stop_the_others(bc: Bc, backoffs: list[float]) -> None:
    failing, _ = await bc.company(0)
    healthy, simulated_healthy = await bc.company(1)
    await bc.control(f"/companies/{failing.id}/fail", json={"status_code": 503})

    with pytest.raises(ClientSystemError):
        await bc.invoices(failing)

    assert len(await bc.invoices(healthy)) == len(simulated_healthy.sales_invoices)


async def test_a_company_that_keeps_failing_is_reported_once_not_on_every_pass(
    bc: Bc, backoffs: list[float]
) -> None:
    company, _ = await bc.company()
    await bc.control(f"/companies/{company.id}/fail", json={"status_code": 503})
    store, sink, now = (
        InMemorySyncStateStore(),
        RecordingSink(),
        MovableClock(datetime(2026, 11, 25, tzinfo=UTC)),
    )
    ctx = SyncContext(bc.connection, bc.connector, store, Outbox(store, sink), now, timedelta(minutes=1))

    for _ in range(3):
        await sync_company(ctx, company)
        now.advance(timedelta(seconds=1))

    assert len(sink.of_type(CompanySyncFailed)) == 1


async def test_an_invoice_links_to_itself_in_its_company(bc: Bc) -> None:
    company, simulated_company = await bc.company()

    invoices = await bc.invoices(company)

    for invoice in invoices:
        assert invoice.web_url is not None
        link = urlsplit(invoice.web_url)
        query = parse_qs(link.query)
        assert f"{link.scheme}://{link.netloc}{link.path}" == f"{WEB_CLIENT}/{bc.tenant.id}/production/"
        assert query["company"] == [simulated_company.company.name]
        assert query["filter"] == [f"'No.' IS '{invoice.number}'"]
        posted = invoice.status not in {SalesInvoiceStatus.DRAFT, SalesInvoiceStatus.IN_REVIEW}
        assert query["page"] == ["132" if posted else "43"]
    assert {i.status for i in invoices} >= {SalesInvoiceStatus.DRAFT, SalesInvoiceStatus.OPEN}


async def test_a_company_links_to_itself_in_the_web_client(bc: Bc) -> None:
    company, simulated_company = await bc.company()

    assert parse_qs(urlsplit(company.web_url).query) == {"company": [simulated_company.company.name]}
    assert UUID(company.id) == simulated_company.company.id


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("In_x0020_Review", "In Review"),
        ("End_x002D_Total", "End-Total"),
        ("Cost_x0020_of_x0020_Goods_x0020_Sold", "Cost of Goods Sold"),
        ("Expired_x0020_", "Expired"),
        ("Expired ", "Expired"),
        ("Open", "Open"),
        ("", " "),
        (None, " "),
    ],
)
def test_bc_enum_text_is_normalised(raw: object, shown: str) -> None:
    assert normalise_enum(raw) == shown


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("0001-01-01", None),
        ("0001-01-01T00:00:00Z", None),
        ("", None),
        (None, None),
        ("2026-11-24", date(2026, 11, 24)),
    ],
)
def test_bc_dates_are_parsed_with_its_unset_date_as_none(raw: object, parsed: date | None) -> None:
    assert parse_date(raw) == parsed


async def test_every_ledger_entry_arrives_once_and_the_ledger_balances(bc: Bc) -> None:
    company, _ = await bc.company()
    entries = [e async for page in bc.connector.ledger_entries_since(company, None) for e in page]

    numbers = [e.entry_number for e in entries]
    assert len(numbers) == len(set(numbers)) > 0
    assert sum(e.debit_amount for e in entries) == sum(e.credit_amount for e in entries)
    newest = max(e.last_modified_at for e in entries)
    again = [e async for page in bc.connector.ledger_entries_since(company, newest) for e in page]
    assert {e.entry_number for e in again} == {
        e.entry_number for e in entries if e.last_modified_at == newest
    }


async def test_aged_receivables_arrive_with_their_ageing_buckets(bc: Bc) -> None:
    company, _ = await bc.company()
    lines = await bc.connector.aged_receivables(company)

    assert lines
    for line in lines:
        assert line.period1_amount is not None
        assert line.period2_amount is not None
        assert line.period3_amount is not None
        buckets = line.current_amount + line.period1_amount + line.period2_amount + line.period3_amount
        assert buckets == line.balance_due


def test_aged_lines_carry_the_company_currency_because_bc_ages_in_lcy() -> None:
    company = RemoteCompany(id="c1", name="Contoso", web_url="https://bc.example/c1", currency="USD")
    line = {
        "vendorNumber": "V0001",
        "name": "Fabrikam Supplies",
        "currencyCode": "EUR",  # the vendor's document currency, not the amounts'
        "balanceDue": 1200.5,
        "currentAmount": 200.5,
        "period1Amount": 1000,
        "period2Amount": 0,
        "period3Amount": 0,
    }
    aged = aged_balance(company, line)
    assert (aged.currency, aged.balance_due, aged.current_amount) == (
        "USD",
        Decimal("1200.5"),
        Decimal("200.5"),
    )
