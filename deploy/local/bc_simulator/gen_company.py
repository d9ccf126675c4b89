"""Everything of a company beyond customers and sales invoices, generated when first needed.

Each part comes from its own generator seeded by the company's seed, so the original rows stay
exactly as they were and a company's books do not depend on any other company's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from . import gen_purchases, gen_sales_docs
from .entities import Company, Customer, SalesInvoice
from .entities_ledger import Account, GeneralLedgerEntry
from .entities_purchase import PurchaseInvoice, Vendor
from .entities_sales import SalesCreditMemo, SalesOrder, SalesQuote
from .entities_tasks import SimulatedUser, UserTask
from .gen_ledger import Documents, ledger_history
from .gen_tasks import tenant_users, user_tasks
from .locales import Locale


@dataclass(frozen=True)
class Recipe:
    """What a company's further books are generated from."""

    seed: str
    firm: str
    today: date


@dataclass(frozen=True)
class MoreBooks:
    """Vendors, purchase invoices, sales orders/quotes/credit memos, the G/L, users and tasks."""

    vendors: tuple[Vendor, ...] = ()
    purchase_invoices: tuple[PurchaseInvoice, ...] = ()
    sales_orders: tuple[SalesOrder, ...] = ()
    sales_quotes: tuple[SalesQuote, ...] = ()
    sales_credit_memos: tuple[SalesCreditMemo, ...] = ()
    accounts: tuple[Account, ...] = ()
    general_ledger_entries: tuple[GeneralLedgerEntry, ...] = ()
    users: tuple[SimulatedUser, ...] = ()
    user_tasks: tuple[UserTask, ...] = ()


@dataclass(frozen=True)
class Basics:
    """The rows every company had from the start."""

    tenant_id: UUID
    company: Company
    locale: Locale
    customers: tuple[Customer, ...]
    sales_invoices: tuple[SalesInvoice, ...]


def more_books(basics: Basics, recipe: Recipe) -> MoreBooks:
    """Generate the company's further books (the same for the same seed, every time)."""
    locale, customers, today = basics.locale, basics.customers, recipe.today
    rng = random.Random(f"{recipe.seed}:purchases")
    vendors = gen_purchases.vendors(rng, locale, rng.randint(8, 16), today)
    bills = gen_purchases.purchase_invoices(rng, vendors, locale, rng.randint(15, 40), today)
    rng = random.Random(f"{recipe.seed}:sales-documents")
    orders = gen_sales_docs.sales_orders(rng, customers, locale, rng.randint(4, 12), today)
    quotes = gen_sales_docs.sales_quotes(rng, customers, locale, rng.randint(4, 12), today)
    memos = gen_sales_docs.sales_credit_memos(rng, customers, locale, rng.randint(2, 6), today)
    documents = Documents(basics.sales_invoices, memos, bills)
    ledger_rng = random.Random(f"{recipe.seed}:ledger")
    history = ledger_history(ledger_rng, basics.company, locale.currency_code, documents, today)
    users = tenant_users(basics.tenant_id, recipe.firm)
    return MoreBooks(
        vendors=vendors,
        purchase_invoices=bills,
        sales_orders=orders,
        sales_quotes=quotes,
        sales_credit_memos=memos + history.corrective_memos,
        accounts=history.accounts,
        general_ledger_entries=history.entries,
        users=users,
        user_tasks=user_tasks(random.Random(f"{recipe.seed}:tasks"), users, today),
    )
