"""Deterministic sample books: tenants (client firms), their companies and everything in them."""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache
from uuid import UUID

from . import gen_sales
from .entities import Company, Customer, ODataRow, SalesInvoice
from .entities_ledger import GeneralLedgerEntry
from .entities_purchase import PurchaseInvoice, Vendor
from .entities_sales import SalesCreditMemo, SalesOrder, SalesQuote
from .gen_common import instant, new_uuid
from .gen_company import Basics, MoreBooks, Recipe, more_books
from .locales import LOCALES, Locale

__all__ = ["LOCALES", "Locale", "SimulatedBooks", "SimulatedCompany", "SimulatedTenant", "generate_books"]

FIRMS = (
    "Contoso Holdings", "Fabrikam Partners", "Northwind Traders", "Adventure Works",
    "Tailspin Toys", "Wide World Importers", "Litware Group", "Proseware Ltd",
    "Woodgrove Advisory", "Alpine Ski House", "Coho Winery", "Fourth Coffee",
)  # fmt: skip


STORED_MODELS: Mapping[str, type[ODataRow]] = {
    "customers": Customer,
    "salesInvoices": SalesInvoice,
    "vendors": Vendor,
    "purchaseInvoices": PurchaseInvoice,
    "salesOrders": SalesOrder,
    "salesQuotes": SalesQuote,
    "salesCreditMemos": SalesCreditMemo,
    "generalLedgerEntries": GeneralLedgerEntry,
}


@dataclass(frozen=True)
class SimulatedCompany:
    """A company with its rows; time zone and currency are facts BC keeps elsewhere.

    The rows beyond customers and sales invoices (`more`) are generated from `recipe` when
    first used, so that a thousand companies are listed at once and each is filled on demand.
    """

    tenant_id: UUID
    company: Company
    locale: Locale
    customers: tuple[Customer, ...]
    sales_invoices: tuple[SalesInvoice, ...]
    recipe: Recipe | None = None

    @cached_property
    def more(self) -> MoreBooks:
        """Vendors, purchase and further sales documents, the G/L, users and user tasks."""
        if self.recipe is None:
            return MoreBooks()
        basics = Basics(self.tenant_id, self.company, self.locale, self.customers, self.sales_invoices)
        return more_books(basics, self.recipe)

    def stored_rows(self) -> dict[str, tuple[ODataRow, ...]]:
        """The rows the API serves as stored, by entity set name."""
        more = self.more
        return {
            "customers": self.customers,
            "salesInvoices": self.sales_invoices,
            "vendors": more.vendors,
            "purchaseInvoices": more.purchase_invoices,
            "salesOrders": more.sales_orders,
            "salesQuotes": more.sales_quotes,
            "salesCreditMemos": more.sales_credit_memos,
            "generalLedgerEntries": more.general_ledger_entries,
        }


@dataclass(frozen=True)
class SimulatedTenant:
    """An Entra tenant: one client firm with its companies in one environment."""

    id: UUID
    name: str
    companies: tuple[SimulatedCompany, ...]


@dataclass(frozen=True)
class SimulatedBooks:
    """Everything the simulator serves when it starts, immutable."""

    today: date
    tenants: tuple[SimulatedTenant, ...]

    def companies(self) -> Iterator[SimulatedCompany]:
        """Every company of every tenant, in generation order."""
        for tenant in self.tenants:
            yield from tenant.companies

    def company(self, company_id: UUID) -> SimulatedCompany:
        """The company with this id; KeyError when there is none."""
        return self._companies_by_id[company_id]

    def in_tenant(self, company_id: UUID, tenant_id: UUID) -> bool:
        """Whether the company exists and belongs to the tenant."""
        company = self._companies_by_id.get(company_id)
        return company is not None and company.tenant_id == tenant_id

    def tenant(self, tenant_id: UUID) -> SimulatedTenant:
        """The tenant with this id; KeyError when there is none."""
        return self._tenants_by_id[tenant_id]

    def company_time_zone(self, company_id: UUID) -> str:
        """The IANA time zone the company works in (BC's companies entity has none)."""
        return self.company(company_id).locale.time_zone

    def company_currency(self, company_id: UUID) -> str:
        """The company's local currency (LCY) code."""
        return self.company(company_id).locale.currency_code

    @cached_property
    def _companies_by_id(self) -> dict[UUID, SimulatedCompany]:
        return {company.company.id: company for company in self.companies()}

    @cached_property
    def _tenants_by_id(self) -> dict[UUID, SimulatedTenant]:
        return {tenant.id: tenant for tenant in self.tenants}


@lru_cache(maxsize=8)
def generate_books(seed: int, tenants: int, companies_per_tenant: int, today: date) -> SimulatedBooks:
    """Books for `tenants` firms of `companies_per_tenant` companies each, the same per seed
    (memoised: the books are immutable, the state copies what it changes)."""
    with _gc_paused():  # millions of long-lived objects: the cyclic collector only slows this down
        return SimulatedBooks(
            today=today,
            tenants=tuple(_tenant(seed, i, companies_per_tenant, today) for i in range(tenants)),
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _tenant(seed: int, index: int, companies: int, today: date) -> SimulatedTenant:
    # One generator per tenant and per company: adding tenants never changes earlier ones.
    rng = random.Random(f"bc-sim:{seed}:{index}")
    tenant_id, admin = new_uuid(rng), new_uuid(rng)
    cycle, firm = divmod(index, len(FIRMS))
    name = FIRMS[firm] if cycle == 0 else f"{FIRMS[firm]} {cycle + 1}"
    offset = rng.randrange(len(LOCALES))
    return SimulatedTenant(
        id=tenant_id,
        name=name,
        companies=tuple(
            _company(
                f"bc-sim:{seed}:{index}:{c}",
                tenant_id,
                admin,
                name,
                LOCALES[(offset + c) % len(LOCALES)],
                c // len(LOCALES),
                today,
            )
            for c in range(companies)
        ),
    )


def _company(
    seed: str, tenant_id: UUID, admin: UUID, firm: str, locale: Locale, cycle: int, today: date
) -> SimulatedCompany:
    rng = random.Random(seed)
    name = f"{firm} {locale.legal_form}" + (f" {cycle + 1}" if cycle else "")
    created = instant(rng, today - timedelta(days=1500), today - timedelta(days=400))
    company = Company(
        id=new_uuid(rng),
        system_version="26.1.39112.0",
        name=name,
        display_name=name,
        system_created_at=created,
        system_created_by=admin,
        system_modified_at=instant(rng, created.date(), today),
        system_modified_by=admin,
    )
    customers = gen_sales.customers(rng, locale, rng.randint(10, 30), today)
    invoices = gen_sales.sales_invoices(rng, customers, locale, rng.randint(20, 60), today)
    return SimulatedCompany(tenant_id, company, locale, customers, invoices, Recipe(seed, firm, today))
