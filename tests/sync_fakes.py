"""In-memory twins of the sync service's ports: its state store, its event sink, a client system."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

from services.sync.connectors.base import ChangedRecord, ClientSystemError, Feed, RemoteCompany
from services.sync.repository import CompanySyncState
from shared.events import EventBase
from shared.ids import CompanyId
from shared.records import AgedBalance, ClientUserTask, LedgerAccount, LedgerEntry, SalesInvoice

E = TypeVar("E", bound=EventBase)


class InMemorySyncStateStore:
    """SyncStateStore in dicts; seqs are handed out like MongoDB's atomic `$inc`."""

    def __init__(self) -> None:
        self.last_seq: dict[CompanyId, int] = {}
        self.states: dict[CompanyId, CompanySyncState] = {}
        self.saves = 0

    async def reserve_seqs(self, company_id: CompanyId, count: int) -> range:
        """`count` fresh, increasing per-company sequence numbers."""
        last = self.last_seq.get(company_id, 0) + count
        self.last_seq[company_id] = last
        return range(last - count + 1, last + 1)

    async def load(self, company_id: CompanyId) -> CompanySyncState:
        """The company's sync state (empty for a company never synced)."""
        return self.states.get(company_id, CompanySyncState())

    async def save(self, company_id: CompanyId, state: CompanySyncState) -> None:
        """Remember the company's sync state."""
        self.states[company_id] = state
        self.saves += 1


@dataclass
class RecordingSink:
    """EventSink that keeps every (topic, event) in the order it was published."""

    published: list[tuple[str, EventBase]] = field(default_factory=list)

    async def publish(self, topic: str, events: Sequence[EventBase]) -> None:
        """Record the events as acknowledged."""
        self.published += [(topic, event) for event in events]

    def events(self, company_id: CompanyId | None = None) -> list[EventBase]:
        """Every event published so far, of one company when given."""
        return [e for _, e in self.published if company_id is None or e.company_id == company_id]

    def of_type(self, kind: type[E], company_id: CompanyId | None = None) -> list[E]:
        """The published events of one type, in publication order."""
        return [e for e in self.events(company_id) if isinstance(e, kind)]

    def topics_of(self, kind: type[EventBase]) -> set[str]:
        """The topics events of one type were published to."""
        return {topic for topic, e in self.published if isinstance(e, kind)}


@dataclass
class ScriptedConnector:
    """Connector over scripted books; `since` filters with `>=`, as BC's `ge` does."""

    companies: list[RemoteCompany] = field(default_factory=list)
    invoices: dict[str, dict[str, SalesInvoice]] = field(default_factory=dict)
    page_size: int = 2
    listing_error: Exception | None = None
    company_errors: dict[str, Exception] = field(default_factory=dict)
    requests: list[tuple[str, datetime | None]] = field(default_factory=list)
    ledger: dict[str, list[LedgerAccount]] = field(default_factory=dict)
    entries: dict[str, list[LedgerEntry]] = field(default_factory=dict)
    tasks: dict[str, dict[str, ClientUserTask]] = field(default_factory=dict)
    task_error: Exception | None = None

    def add_company(self, company: RemoteCompany, *invoices: SalesInvoice) -> RemoteCompany:
        """A company the client's system lists, with its invoices."""
        self.companies.append(company)
        self.invoices[company.id] = {}
        self.put(company, *invoices)
        return company

    def put(self, company: RemoteCompany, *invoices: SalesInvoice) -> None:
        """Create or replace invoices of a company."""
        self.invoices[company.id].update({i.id: i for i in invoices})

    def change(
        self, company: RemoteCompany, invoice_id: str, at: datetime, **changes: object
    ) -> SalesInvoice:
        """Change an invoice as the client's system would: its last-modified moves to `at`."""
        changed = self.invoices[company.id][invoice_id].model_copy(update={**changes, "last_modified_at": at})
        self.put(company, changed)
        return changed

    def rename(self, company: RemoteCompany, name: str) -> RemoteCompany:
        """The client renamed a company."""
        renamed = replace(company, name=name)
        self.companies = [renamed if c.id == company.id else c for c in self.companies]
        return renamed

    def fail(self, company: RemoteCompany, error: Exception | str) -> None:
        """Reading the company's invoices raises `error` (a string becomes a ClientSystemError)."""
        self.company_errors[company.id] = ClientSystemError(error) if isinstance(error, str) else error

    def fail_listing(self, error: Exception | str) -> None:
        """Listing the companies raises `error` (a string becomes a ClientSystemError)."""
        self.listing_error = ClientSystemError(error) if isinstance(error, str) else error

    def heal(self) -> None:
        """Every request succeeds again."""
        self.listing_error = None
        self.company_errors.clear()

    async def list_companies(self) -> list[RemoteCompany]:
        """Every scripted company, unless listing was made to fail."""
        if self.listing_error is not None:
            raise self.listing_error
        return list(self.companies)

    async def records_changed_since(
        self, company: RemoteCompany, feed: Feed, since: datetime | None
    ) -> AsyncIterator[list[ChangedRecord]]:
        """Pages of sales invoices modified at or after `since`, oldest first (other feeds are empty)."""
        error = self.company_errors.get(company.id)
        if error is not None:
            raise error
        if feed != "salesInvoices":
            return
        self.requests.append((company.id, since))
        rows: list[ChangedRecord] = sorted(
            (i for i in self.invoices[company.id].values() if since is None or i.last_modified_at >= since),
            key=lambda i: (i.last_modified_at, i.id),
        )
        for start in range(0, len(rows), self.page_size):
            yield rows[start : start + self.page_size]

    async def record_ids(self, company: RemoteCompany, feed: Feed) -> set[str]:
        """The ids of the scripted company's invoices (other feeds are empty)."""
        if company.id in self.company_errors:
            raise self.company_errors[company.id]
        return set(self.invoices[company.id]) if feed == "salesInvoices" else set()

    async def accounts(self, company: RemoteCompany) -> list[LedgerAccount]:
        """The scripted company's accounts."""
        return list(self.ledger.get(company.id, []))

    async def aged_payables(self, company: RemoteCompany) -> list[AgedBalance]:  # noqa: ARG002
        """An empty aged payables report."""
        return []

    async def aged_receivables(self, company: RemoteCompany) -> list[AgedBalance]:  # noqa: ARG002
        """An empty aged receivables report."""
        return []

    async def ledger_entries_since(
        self, company: RemoteCompany, since: datetime | None
    ) -> AsyncIterator[list[LedgerEntry]]:
        """The scripted company's G/L entries modified at or after `since`, a page at a time."""
        rows = sorted(
            (e for e in self.entries.get(company.id, []) if since is None or e.last_modified_at >= since),
            key=lambda e: (e.last_modified_at, e.entry_number),
        )
        for start in range(0, len(rows), self.page_size):
            yield rows[start : start + self.page_size]

    async def user_tasks(self, company: RemoteCompany) -> list[ClientUserTask]:
        """The scripted company's pending tasks."""
        if company.id in self.company_errors:
            raise self.company_errors[company.id]
        return [t for t in self.tasks.get(company.id, {}).values() if t.percent_complete < 100]

    async def complete_user_task(self, company: RemoteCompany, remote_id: str) -> None:
        """Complete a task as BC's SetComplete does; `task_error` makes it fail."""
        if self.task_error is not None:
            raise self.task_error
        tasks = self.tasks.get(company.id, {})
        if remote_id not in tasks:
            raise ClientSystemError(
                f"HTTP 404 from the client's system (The user task {remote_id} does not exist.)"
            )
        tasks[remote_id] = tasks[remote_id].model_copy(update={"percent_complete": 100})


class MovableClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> datetime:
        """Move time forward and return the new now."""
        self.now += by
        return self.now
