"""The "business day" mutator: keeps posting realistic changes to the books at a steady rate.

Each step picks a company and a change (new sales or purchase invoice, a customer payment, a
vendor payment, a due date passing, a new quote, a quote turned into an order) from a generator
seeded by the simulator's seed, so the same seed and the same number of steps give the same
books. Every change goes through the state: stamps move, the ledger stays balanced, webhooks fire.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from . import documents
from .documents import NewInvoice
from .entities import SalesInvoice
from .entities_purchase import PurchaseInvoice, Vendor
from .entities_sales import SalesQuote
from .gen_common import money
from .state import SimulatorState

Action = Callable[[SimulatorState, UUID, random.Random], str | None]


def new_sales_invoice(state: SimulatorState, company_id: UUID, rng: random.Random) -> str:
    """A customer is invoiced today."""
    today = state.company_today(company_id)
    new = NewInvoice(money(rng, 50, 20_000), today, today + timedelta(days=rng.choice((7, 14, 30, 30, 45))))
    invoice = documents.post_sales_invoice(state, company_id, rng.choice(state.customers(company_id)), new)
    return f"posted sales invoice {invoice.number}"


def customer_payment(state: SimulatorState, company_id: UUID, rng: random.Random) -> str | None:
    """A customer pays an open invoice, in full or in part."""
    open_invoices = [i for i in state.sales_invoices(company_id) if i.status == "Open"]
    if not open_invoices:
        return None
    invoice = rng.choice(open_invoices)
    amount = (
        None if rng.random() < 0.7 or invoice.remaining_amount < 1 else _part(rng, invoice.remaining_amount)
    )
    state.pay_sales_invoice(company_id, invoice.id, amount)
    return f"received payment on {invoice.number}"


def new_purchase_invoice(state: SimulatorState, company_id: UUID, rng: random.Random) -> str:
    """A vendor's invoice arrives, due within the month."""
    today = state.company_today(company_id)
    new = NewInvoice(
        money(rng, 80, 12_000),
        today - timedelta(days=rng.randint(0, 10)),
        today + timedelta(days=rng.randint(1, 30)),
    )
    invoice = documents.post_purchase_invoice(state, company_id, rng.choice(_vendors(state, company_id)), new)
    return f"posted purchase invoice {invoice.number}"


def vendor_payment(state: SimulatorState, company_id: UUID, rng: random.Random) -> str | None:
    """An open purchase invoice is paid."""
    open_bills = [b for b in _bills(state, company_id) if b.status == "Open"]
    if not open_bills:
        return None
    bill = rng.choice(open_bills)
    documents.pay_purchase_invoice(state, company_id, bill.id)
    return f"paid purchase invoice {bill.number}"


def due_date_passes(state: SimulatorState, company_id: UUID, rng: random.Random) -> str | None:
    """An open invoice that was not yet due becomes overdue."""
    today = state.company_today(company_id)
    sales = [i for i in state.sales_invoices(company_id) if i.status == "Open" and i.due_date >= today]
    bills = [
        b for b in _bills(state, company_id) if b.status == "Open" and b.invoice_date < today <= b.due_date
    ]
    candidates: list[SalesInvoice | PurchaseInvoice] = [*sales, *bills]
    if not candidates:
        return None
    chosen = rng.choice(candidates)
    if isinstance(chosen, SalesInvoice):
        state.make_overdue(company_id, chosen.id, today)
    else:
        documents.let_purchase_invoice_fall_due(state, company_id, chosen)
    return f"{chosen.number} is now overdue"


def new_quote(state: SimulatorState, company_id: UUID, rng: random.Random) -> str:
    """A quote is sent to a customer."""
    quote = documents.new_quote(
        state, company_id, rng.choice(state.customers(company_id)), money(rng, 300, 40_000)
    )
    return f"sent quote {quote.number}"


def quote_becomes_order(state: SimulatorState, company_id: UUID, rng: random.Random) -> str | None:
    """A customer accepts a quote: it is deleted and becomes an order."""
    quotes = [
        q for q in state.typed(company_id, "salesQuotes", SalesQuote) if q.status in ("Sent", "Accepted")
    ]
    if not quotes:
        return None
    order = documents.quote_to_order(state, company_id, rng.choice(quotes))
    return f"quote became order {order.number}"


ACTIONS: tuple[tuple[Action, int], ...] = (
    (new_sales_invoice, 25),
    (customer_payment, 25),
    (new_purchase_invoice, 15),
    (vendor_payment, 15),
    (due_date_passes, 10),
    (new_quote, 5),
    (quote_becomes_order, 5),
)


class Mutator:
    """Steps through business changes, on demand or at `changes_per_second` in the background."""

    def __init__(self, state: SimulatorState, seed: int) -> None:
        self._state = state
        self._rng = random.Random(f"bc-sim:{seed}:mutator")
        self._companies = [company.company.id for company in state.books.companies()]
        self._task: asyncio.Task[None] | None = None
        self.changes_per_second = 0.0
        self.changes_made = 0
        self.last_error: str | None = None

    @property
    def running(self) -> bool:
        """Whether the background loop is running."""
        return self._task is not None and not self._task.done()

    def step(self) -> str:
        """Make one change; a description of it."""
        company_id = self._rng.choice(self._companies)
        action = self._rng.choices([a for a, _ in ACTIONS], [w for _, w in ACTIONS])[0]
        done = action(self._state, company_id, self._rng) or new_sales_invoice(
            self._state, company_id, self._rng
        )
        self.changes_made += 1
        return done

    def start(self, changes_per_second: float) -> None:
        """(Re)start the background loop at the given rate (must be called in the event loop)."""
        if self._task is not None:
            self._task.cancel()
        self.changes_per_second = changes_per_second
        self._task = asyncio.get_running_loop().create_task(self._run(changes_per_second))

    async def stop(self) -> None:
        """Stop the background loop, if running."""
        task, self._task = self._task, None
        self.changes_per_second = 0.0
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, changes_per_second: float) -> None:
        interval, next_at = 1 / changes_per_second, time.monotonic()
        while True:
            try:
                self.step()
            except (LookupError, ValueError) as error:  # keep the business day going; say what broke
                self.last_error = repr(error)
            next_at = max(next_at + interval, time.monotonic() - 1)  # never more than 1 s of catching up
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))


def _part(rng: random.Random, amount: Decimal) -> Decimal:
    cents = int(amount * 100)
    return Decimal(rng.randint(1, max(1, cents - 1))).scaleb(-2)


def _vendors(state: SimulatorState, company_id: UUID) -> list[Vendor]:
    return state.typed(company_id, "vendors", Vendor)


def _bills(state: SimulatorState, company_id: UUID) -> list[PurchaseInvoice]:
    return state.typed(company_id, "purchaseInvoices", PurchaseInvoice)
