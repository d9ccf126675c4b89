"""The simulator's mutable in-memory store, seeded from SimulatedBooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from .books import SimulatedBooks
from .entities import Company, Customer, SalesInvoice

Clock = Callable[[], datetime]
_TICK = timedelta(milliseconds=1)
_IMMUTABLE = frozenset({"id", "last_modified_date_time"})


class UnknownEntityError(LookupError):
    """No company, tenant or invoice with that id."""


class InvoiceStateError(ValueError):
    """The change is not possible from the invoice's current state."""


def utc_now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


class SimulatorState:
    """Current rows per company plus injected failures; every change bumps its watermark."""

    def __init__(self, books: SimulatedBooks, clock: Clock = utc_now) -> None:
        self.books = books
        self.clock = clock
        self._invoices = {c.company.id: {inv.id: inv for inv in c.sales_invoices} for c in books.companies()}
        self._customers = {c.company.id: c.customers for c in books.companies()}
        self._failures: dict[UUID, int] = {}
        self._last_stamp = max(
            (inv.last_modified_date_time for c in books.companies() for inv in c.sales_invoices),
            default=datetime.min.replace(tzinfo=UTC),
        )

    def tenant_companies(self, tenant_id: UUID) -> list[Company]:
        """The companies of a tenant; UnknownEntityError for an unknown tenant."""
        try:
            return [c.company for c in self.books.tenant(tenant_id).companies]
        except KeyError:
            raise UnknownEntityError(f"tenant {tenant_id}") from None

    def company(self, company_id: UUID) -> Company:
        """The company entity; UnknownEntityError when unknown."""
        try:
            return self.books.company(company_id).company
        except KeyError:
            raise UnknownEntityError(f"company {company_id}") from None

    def failure(self, company_id: UUID) -> int | None:
        """The HTTP status the company's endpoints answer with, if it was made to fail."""
        return self._failures.get(company_id)

    def customers(self, company_id: UUID) -> list[Customer]:
        """The company's customers."""
        self.company(company_id)
        return list(self._customers[company_id])

    def sales_invoices(self, company_id: UUID) -> list[SalesInvoice]:
        """The company's sales invoices as they are now."""
        self.company(company_id)
        return list(self._invoices[company_id].values())

    def sales_invoice(self, company_id: UUID, invoice_id: UUID) -> SalesInvoice:
        """One sales invoice; UnknownEntityError when the company or invoice is unknown."""
        self.company(company_id)
        try:
            return self._invoices[company_id][invoice_id]
        except KeyError:
            raise UnknownEntityError(f"salesInvoice {invoice_id}") from None

    def update_sales_invoice(self, company_id: UUID, invoice_id: UUID, **changes: Any) -> SalesInvoice:
        """Apply field changes (snake_case names), re-validate, and bump lastModifiedDateTime."""
        forbidden = set(changes) & _IMMUTABLE or set(changes) - set(SalesInvoice.model_fields)
        if forbidden:
            raise ValueError(f"cannot change {sorted(forbidden)} of a salesInvoice")
        current = self.sales_invoice(company_id, invoice_id)
        updated = SalesInvoice.model_validate(
            current.model_dump() | changes | {"last_modified_date_time": self._next_stamp()}
        )
        self._invoices[company_id][invoice_id] = updated
        return updated

    def pay_sales_invoice(self, company_id: UUID, invoice_id: UUID) -> SalesInvoice:
        """Settle an Open invoice in full: status Paid, remainingAmount 0."""
        current = self.sales_invoice(company_id, invoice_id)
        if current.status != "Open":
            raise InvoiceStateError(f"only an Open invoice can be paid, not a {current.status} one")
        return self.update_sales_invoice(
            company_id, invoice_id, status="Paid", remaining_amount=Decimal("0.00")
        )

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

    def fail_company(self, company_id: UUID, status_code: int | None) -> None:
        """Make every endpoint of the company answer `status_code`; None heals it."""
        self.company(company_id)
        if status_code is None:
            self._failures.pop(company_id, None)
        else:
            self._failures[company_id] = status_code

    def _next_stamp(self) -> datetime:
        """Now, to the millisecond, but always later than the previous change."""
        now = self.clock().astimezone(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self._last_stamp = max(now, self._last_stamp + _TICK)
        return self._last_stamp
