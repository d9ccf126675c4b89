"""Deterministic sample books: tenants (client firms), their companies, customers and invoices."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from uuid import UUID

from .entities import Company, Customer, SalesInvoice

CENT = Decimal("0.01")
FIRMS = (
    "Contoso Holdings", "Fabrikam Partners", "Northwind Traders", "Adventure Works",
    "Tailspin Toys", "Wide World Importers", "Litware Group", "Proseware Ltd",
    "Woodgrove Advisory", "Alpine Ski House", "Coho Winery", "Fourth Coffee",
)  # fmt: skip
CUSTOMER_FIRST = (
    "Adatum", "Trey", "Lucerne", "Wingtip", "Blue Yonder", "Humongous", "Southridge",
    "Relecloud", "VanArsdel", "Margie's", "Graphic", "Consolidated", "Bellows", "Datum",
)  # fmt: skip
CUSTOMER_LAST = (
    "Corporation", "Research", "Publishing", "Travel", "Airlines", "Insurance", "Video",
    "Messenger", "Design", "Foods", "Logistics", "Clinic", "Studios", "Motors",
)  # fmt: skip
STATUSES = ("Open", "Paid", "Draft", "Canceled")
STATUS_WEIGHTS = (50, 38, 8, 4)


@dataclass(frozen=True)
class Locale:
    """Where a company keeps its books: time zone, local currency, legal form, sales tax."""

    time_zone: str
    currency_code: str
    second_currency_code: str
    legal_form: str
    tax_rate: Decimal


LOCALES = (
    Locale("Europe/London", "GBP", "EUR", "UK Ltd.", Decimal("0.20")),
    Locale("America/New_York", "USD", "CAD", "Inc.", Decimal("0.08875")),
    Locale("Europe/Berlin", "EUR", "USD", "GmbH", Decimal("0.19")),
    Locale("America/Chicago", "USD", "EUR", "LLC", Decimal("0.1025")),
    Locale("Europe/Paris", "EUR", "GBP", "SAS", Decimal("0.20")),
    Locale("Australia/Sydney", "AUD", "USD", "Pty Ltd", Decimal("0.10")),
    Locale("Europe/Dublin", "EUR", "GBP", "Ltd", Decimal("0.23")),
    Locale("America/Los_Angeles", "USD", "EUR", "Corp.", Decimal("0.095")),
)


@dataclass(frozen=True)
class SimulatedCompany:
    """A company with its rows; time zone and currency are facts BC keeps elsewhere."""

    tenant_id: UUID
    company: Company
    locale: Locale
    customers: tuple[Customer, ...]
    sales_invoices: tuple[SalesInvoice, ...]


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


def generate_books(seed: int, tenants: int, companies_per_tenant: int, today: date) -> SimulatedBooks:
    """Books for `tenants` firms of `companies_per_tenant` companies each, the same per seed."""
    return SimulatedBooks(
        today=today,
        tenants=tuple(_tenant(seed, i, companies_per_tenant, today) for i in range(tenants)),
    )


def _uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def _instant(rng: random.Random, start: date, end: date) -> datetime:
    """A millisecond-precise UTC instant in [start, end), or the last day before end."""
    first = datetime.combine(min(start, end - timedelta(days=1)), time(), UTC)
    span_ms = int((datetime.combine(end, time(), UTC) - first).total_seconds() * 1000)
    return first + timedelta(milliseconds=rng.randrange(span_ms))


def _tenant(seed: int, index: int, companies: int, today: date) -> SimulatedTenant:
    # One generator per tenant and per company: adding tenants never changes earlier ones.
    rng = random.Random(f"bc-sim:{seed}:{index}")
    tenant_id, admin = _uuid(rng), _uuid(rng)
    cycle, firm = divmod(index, len(FIRMS))
    name = FIRMS[firm] if cycle == 0 else f"{FIRMS[firm]} {cycle + 1}"
    offset = rng.randrange(len(LOCALES))
    return SimulatedTenant(
        id=tenant_id,
        name=name,
        companies=tuple(
            _company(
                random.Random(f"bc-sim:{seed}:{index}:{c}"),
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
    rng: random.Random,
    tenant_id: UUID,
    admin: UUID,
    firm: str,
    locale: Locale,
    cycle: int,
    today: date,
) -> SimulatedCompany:
    name = f"{firm} {locale.legal_form}" + (f" {cycle + 1}" if cycle else "")
    created = _instant(rng, today - timedelta(days=1500), today - timedelta(days=400))
    company = Company(
        id=_uuid(rng),
        system_version="26.1.39112.0",
        name=name,
        display_name=name,
        system_created_at=created,
        system_created_by=admin,
        system_modified_at=_instant(rng, created.date(), today),
        system_modified_by=admin,
    )
    customers = _customers(rng, locale, rng.randint(10, 30), today)
    invoices = _invoices(rng, customers, locale, rng.randint(20, 60), today)
    return SimulatedCompany(tenant_id, company, locale, customers, invoices)


def _customers(rng: random.Random, locale: Locale, count: int, today: date) -> tuple[Customer, ...]:
    names = rng.sample([f"{a} {b}" for a in CUSTOMER_FIRST for b in CUSTOMER_LAST], count)
    return tuple(
        Customer(
            id=_uuid(rng),
            number=str(10000 * (i + 1)),
            display_name=name,
            email=f"accounts@{_slug(name)}.example",
            currency_code=(locale.currency_code if rng.random() < 0.8 else locale.second_currency_code),
            last_modified_date_time=_instant(rng, today - timedelta(days=400), today),
        )
        for i, name in enumerate(names)
    )


def _slug(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


def _invoices(
    rng: random.Random,
    customers: tuple[Customer, ...],
    locale: Locale,
    count: int,
    today: date,
) -> tuple[SalesInvoice, ...]:
    fields = [_invoice_fields(rng, rng.choice(customers), locale, today) for _ in range(count)]
    fields.sort(key=lambda f: (f["invoice_date"], str(f["id"])))
    return tuple(
        SalesInvoice.model_validate({**f, "number": f"S-INV-{103001 + i}"}) for i, f in enumerate(fields)
    )


def _invoice_fields(rng: random.Random, customer: Customer, locale: Locale, today: date) -> dict[str, object]:
    due = today + timedelta(days=rng.randint(-60, 45))
    invoice_date = min(due - timedelta(days=rng.choice((14, 30, 30, 45))), today)
    status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
    excluding = Decimal(rng.randint(5_000, 2_500_000)).scaleb(-2)
    tax = (excluding * locale.tax_rate).quantize(CENT, ROUND_HALF_UP)
    including = excluding + tax
    return {
        "id": _uuid(rng),
        "invoice_date": invoice_date,
        "posting_date": invoice_date,
        "due_date": due,
        "customer_id": customer.id,
        "customer_number": customer.number,
        "customer_name": customer.display_name,
        "currency_code": customer.currency_code,
        "total_amount_excluding_tax": excluding,
        "total_tax_amount": tax,
        "total_amount_including_tax": including,
        "remaining_amount": _remaining(rng, status, including),
        "status": status,
        "last_modified_date_time": _instant(rng, invoice_date, today),
    }


def _remaining(rng: random.Random, status: str, including: Decimal) -> Decimal:
    if status in ("Paid", "Canceled"):
        return Decimal("0.00")
    if status == "Draft" or rng.random() < 0.7:
        return including
    cents = int(including / CENT)
    return Decimal(rng.randint(1, cents - 1)).scaleb(-2)
