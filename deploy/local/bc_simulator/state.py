"""The simulator's mutable in-memory store, seeded from SimulatedBooks.

Every change goes through `insert`, `update` or `delete`: the row gets a new
lastModifiedDateTime, posted documents are reconciled with the general ledger (new G/L entries
that balance), and the change is announced to the webhook dispatcher.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from .books import STORED_MODELS, SimulatedBooks, SimulatedCompany
from .entities import Company, Customer, ODataRow, SalesInvoice
from .entities_purchase import PurchaseInvoice
from .entities_sales import SalesCreditMemo
from .faults import Fault, Faults
from .ledger import Ledger, NumberSeries, Subledger
from .postings import Rules, document_rules
from .store import ChangeType, Tables
from .tasks import TaskBoard

Clock = Callable[[], datetime]
Row = TypeVar("Row", bound=ODataRow)
_TICK = timedelta(milliseconds=1)
_IMMUTABLE = frozenset({"id", "last_modified_date_time"})
Document = SalesInvoice | SalesCreditMemo | PurchaseInvoice


class UnknownEntityError(LookupError):
    """No company, tenant or row with that id."""


class InvoiceStateError(ValueError):
    """The change is not possible from the document's current state."""


def utc_now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


class SimulatorState:
    """Current rows per company, their ledgers, user tasks and injected faults."""

    def __init__(self, books: SimulatedBooks, clock: Clock = utc_now) -> None:
        self.books = books
        self.clock = clock
        self.tables = Tables()
        self._ledgers: dict[UUID, Ledger] = {}
        self._subledgers: dict[UUID, Subledger] = {}
        self.faults = Faults()
        self._loaded: set[UUID] = set()
        # Every generated stamp lies before the day the books were made for began.
        self._last_stamp = datetime.combine(books.today, time(), UTC) - _TICK
        self.tasks = TaskBoard(books, clock)

    def tenant_companies(self, tenant_id: UUID) -> list[Company]:
        """The companies of a tenant; UnknownEntityError for an unknown tenant."""
        try:
            return [c.company for c in self.books.tenant(tenant_id).companies]
        except KeyError:
            raise UnknownEntityError(f"tenant {tenant_id}") from None

    def company(self, company_id: UUID) -> Company:
        """The company entity; UnknownEntityError when unknown."""
        return self.simulated(company_id).company

    def simulated(self, company_id: UUID) -> SimulatedCompany:
        """The company as generated (its rows loaded on first use); UnknownEntityError when unknown."""
        try:
            simulated = self.books.company(company_id)
        except KeyError:
            raise UnknownEntityError(f"company {company_id}") from None
        if company_id not in self._loaded:
            self._load(simulated)
        return simulated

    def company_today(self, company_id: UUID) -> date:
        """Today in the company's time zone."""
        return self.clock().astimezone(ZoneInfo(self.simulated(company_id).locale.time_zone)).date()

    def rows(self, company_id: UUID, entity_set: str) -> list[ODataRow]:
        """A company's stored entity set as it is now."""
        self.company(company_id)
        return self.tables.rows(company_id, entity_set)

    def typed(self, company_id: UUID, entity_set: str, model: type[Row]) -> list[Row]:
        """A company's stored entity set, checked to hold `model` rows."""
        self.company(company_id)
        return self.tables.typed(company_id, entity_set, model)

    def row(self, company_id: UUID, entity_set: str, key: str) -> ODataRow:
        """One stored row; UnknownEntityError when the company or row is unknown."""
        self.company(company_id)
        try:
            return self.tables.get(company_id, entity_set, key)
        except KeyError:
            raise UnknownEntityError(f"{entity_set} {key}") from None

    def ledger(self, company_id: UUID) -> Ledger:
        """The company's general ledger."""
        self.company(company_id)
        return self._ledgers[company_id]

    def insert(self, company_id: UUID, entity_set: str, fields: Mapping[str, object]) -> ODataRow:
        """Create a row (stamped now); a posted document is posted to the ledger."""
        self.company(company_id)
        row = STORED_MODELS[entity_set].model_validate(
            {**fields, "last_modified_date_time": self._next_stamp()}
        )
        self._store(company_id, entity_set, row, "created")
        return row

    def update(self, company_id: UUID, entity_set: str, key: str, **changes: Any) -> ODataRow:
        """Apply field changes (snake_case names), re-validate, bump lastModifiedDateTime and
        post whatever the ledger needs to follow the document."""
        current = self.row(company_id, entity_set, key)
        model = type(current)
        forbidden = set(changes) & _IMMUTABLE or set(changes) - set(model.model_fields)
        if forbidden or entity_set == "generalLedgerEntries":
            raise ValueError(f"cannot change {sorted(forbidden or changes)} of a {model.entity_type}")
        stamp = {"last_modified_date_time": self._next_stamp()}
        row = model.model_validate(current.model_dump() | changes | stamp)
        self._store(company_id, entity_set, row, "updated")
        return row

    def delete(self, company_id: UUID, entity_set: str, key: str) -> ODataRow:
        """Delete an unposted row (BC deletes a quote when it becomes an order)."""
        current = self.row(company_id, entity_set, key)
        posted = isinstance(current, Document) and self._rules(company_id, current).target.recognised
        if posted or entity_set == "generalLedgerEntries":
            raise InvoiceStateError(f"a posted {current.entity_type} cannot be deleted")
        return self.tables.remove(company_id, entity_set, key, self._next_stamp())

    def customers(self, company_id: UUID) -> list[Customer]:
        """The company's customers."""
        return self.typed(company_id, "customers", Customer)

    def sales_invoices(self, company_id: UUID) -> list[SalesInvoice]:
        """The company's sales invoices as they are now."""
        return self.typed(company_id, "salesInvoices", SalesInvoice)

    def sales_invoice(self, company_id: UUID, invoice_id: UUID) -> SalesInvoice:
        """One sales invoice; UnknownEntityError when the company or invoice is unknown."""
        return as_row(SalesInvoice, self.row(company_id, "salesInvoices", str(invoice_id)))

    def update_sales_invoice(self, company_id: UUID, invoice_id: UUID, **changes: Any) -> SalesInvoice:
        """Apply field changes (snake_case names), re-validate, and bump lastModifiedDateTime."""
        return as_row(SalesInvoice, self.update(company_id, "salesInvoices", str(invoice_id), **changes))

    def pay_sales_invoice(
        self, company_id: UUID, invoice_id: UUID, amount: Decimal | None = None
    ) -> SalesInvoice:
        """Receive a payment on an Open invoice (all that is open by default); the payment is
        posted to cash and receivables."""
        current = self.sales_invoice(company_id, invoice_id)
        if current.status != "Open":
            raise InvoiceStateError(f"only an Open invoice can be paid, not a {current.status} one")
        remaining = current.remaining_amount - (current.remaining_amount if amount is None else amount)
        if not Decimal(0) <= remaining < current.remaining_amount:
            raise InvoiceStateError(f"a payment must be more than 0 and at most {current.remaining_amount}")
        status = "Paid" if remaining == 0 else "Open"
        return self.update_sales_invoice(company_id, invoice_id, status=status, remaining_amount=remaining)

    def make_overdue(self, company_id: UUID, invoice_id: UUID, today: date) -> SalesInvoice:
        """Make the invoice Open, due yesterday, with an amount still to pay."""
        current = self.sales_invoice(company_id, invoice_id)
        due = today - timedelta(days=1)
        remaining = current.remaining_amount or current.total_amount_including_tax
        if remaining <= 0:
            raise InvoiceStateError("an invoice with a zero total cannot be overdue")
        return self.update_sales_invoice(
            company_id,
            invoice_id,
            status="Open",
            due_date=due,
            invoice_date=min(current.invoice_date, due),
            posting_date=min(current.posting_date, due),
            remaining_amount=remaining,
        )

    def failure(self, company_id: UUID) -> int | None:
        """The HTTP status the company's endpoints answer with, if it was made to fail."""
        return self.faults.status(company_id)

    def fail_company(self, company_id: UUID, fault: Fault | None) -> None:
        """Make the company's endpoints answer with `fault` (an error status, garbage, a truncated
        page); None heals it."""
        self.company(company_id)
        self.faults.set(company_id, fault)

    def _store(self, company_id: UUID, entity_set: str, row: ODataRow, change: ChangeType) -> None:
        rules = self._rules(company_id, row) if isinstance(row, Document) else None  # may refuse the row
        if rules is not None and change == "updated":
            self._learn(company_id, entity_set, row.key(), rules.key)
        self.tables.put(company_id, entity_set, row, change)
        if rules is None:
            return
        for posting in self._subledgers[company_id].reconcile(rules, self.company_today(company_id)):
            stamp = self._next_stamp()
            for entry in self._ledgers[company_id].post(posting, stamp):
                self.tables.put(company_id, "generalLedgerEntries", entry, "created")

    def _learn(self, company_id: UUID, entity_set: str, key: str, document_key: str) -> None:
        """A generated document's history already brought the G/L to its target: record that
        (lazily, on its first change, so that loading a thousand companies stays quick)."""
        subledger, previous = self._subledgers[company_id], self.tables.get(company_id, entity_set, key)
        if not subledger.knows(document_key) and isinstance(previous, Document):
            subledger.assume(self._rules(company_id, previous))

    def _rules(self, company_id: UUID, document: Document) -> Rules:
        return document_rules(document, self.simulated(company_id).locale.currency_code)

    def _load(self, simulated: SimulatedCompany) -> None:
        company_id, more = simulated.company.id, simulated.more
        self._loaded.add(company_id)
        for entity_set, rows in simulated.stored_rows().items():
            self.tables.load(company_id, entity_set, rows)
        self._ledgers[company_id] = Ledger(company_id, more.accounts, more.general_ledger_entries)
        used = [entry.document_number for entry in more.general_ledger_entries]
        memos = (memo.number for memo in more.sales_credit_memos)
        self._subledgers[company_id] = Subledger(NumberSeries([*used, *memos]))

    def _next_stamp(self) -> datetime:
        """Now, to the millisecond, but always later than the previous change."""
        now = self.clock().astimezone(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self._last_stamp = max(now, self._last_stamp + _TICK)
        return self._last_stamp


def as_row(model: type[Row], row: ODataRow) -> Row:
    """The row, checked to be a `model`."""
    if not isinstance(row, model):
        raise TypeError(f"expected a {model.__name__}, got a {type(row).__name__}")
    return row
