"""Sample vendors and purchase invoices: some due within the week, some overdue, some paid."""

from __future__ import annotations

import random
from datetime import date, timedelta

from .entities_purchase import PurchaseInvoice, Vendor
from .enums import IN_REVIEW, DocumentStatus
from .gen_common import instant, money, new_uuid, slug, tax_on
from .locales import Locale

VENDOR_NAMES = (
    "First Up Consultants", "Fabrikam Office Supply", "City Power & Light", "Graphic Design Institute",
    "Litware Facilities", "Nod Publishers", "Wide World Logistics", "Contoso Insurance",
    "Tailspin Print Works", "Northwind Cleaning", "Humongous Rentals", "Woodgrove Legal",
    "Proseware IT Services", "Alpine Materials", "Fourth Coffee Catering", "Lamna Marketing",
)  # fmt: skip
CITIES = (("Chicago", "US"), ("London", "GB"), ("Berlin", "DE"), ("Paris", "FR"), ("Sydney", "AU"))
STATUSES: tuple[DocumentStatus, ...] = ("Open", "Paid", "Draft", IN_REVIEW, "Canceled")
STATUS_WEIGHTS = (45, 40, 8, 4, 3)


def vendors(rng: random.Random, locale: Locale, count: int, today: date) -> tuple[Vendor, ...]:
    """`count` vendors, most of them invoicing in the local currency."""
    names = rng.sample(VENDOR_NAMES, min(count, len(VENDOR_NAMES)))
    return tuple(_vendor(rng, index, name, locale, today) for index, name in enumerate(names))


def _vendor(rng: random.Random, index: int, name: str, locale: Locale, today: date) -> Vendor:
    city, country = rng.choice(CITIES)
    return Vendor(
        id=new_uuid(rng),
        number=str(20000 + 10000 * index),
        display_name=name,
        address_line1=f"{rng.randint(1, 999)} {rng.choice(('Main', 'High', 'Park', 'Mill'))} Street",
        city=city,
        country=country,
        postal_code=str(rng.randint(10000, 99999)),
        phone_number=f"+1 555 {rng.randint(1000000, 9999999)}",
        email=f"billing@{slug(name)}.example",
        website=f"www.{slug(name)}.example",
        tax_registration_number=f"VAT{rng.randint(10**8, 10**9 - 1)}",
        currency_code=locale.currency_code if rng.random() < 0.85 else locale.second_currency_code,
        last_modified_date_time=instant(rng, today - timedelta(days=500), today),
    )


def purchase_invoices(
    rng: random.Random, suppliers: tuple[Vendor, ...], locale: Locale, count: int, today: date
) -> tuple[PurchaseInvoice, ...]:
    """`count` invoices numbered in posting order; the first three are one due within the next
    seven days, one overdue, one paid — the cases the hub's figures need."""
    forced: tuple[tuple[DocumentStatus, int], ...] = (
        ("Open", rng.randint(1, 7)),
        ("Open", -rng.randint(1, 40)),
    )
    forced += (("Paid", rng.randint(-30, 20)),)
    plans = [*forced, *((_status(rng), rng.randint(-75, 30)) for _ in range(count - len(forced)))]
    fields = [_fields(rng, rng.choice(suppliers), locale, today, status, due) for status, due in plans]
    fields.sort(key=lambda f: (f["posting_date"], str(f["id"])))
    return tuple(
        PurchaseInvoice.model_validate({**f, "number": f"P-INV-{108001 + i}"}) for i, f in enumerate(fields)
    )


def _status(rng: random.Random) -> DocumentStatus:
    return rng.choices(STATUSES, STATUS_WEIGHTS)[0]


def _fields(
    rng: random.Random, vendor: Vendor, locale: Locale, today: date, status: DocumentStatus, due_in: int
) -> dict[str, object]:
    due = today + timedelta(days=due_in)
    invoice_date = min(due - timedelta(days=rng.choice((14, 30, 30, 60))), today)
    excluding = money(rng, 80, 12_000)
    tax = tax_on(excluding, locale.tax_rate)
    return {
        "id": new_uuid(rng),
        "invoice_date": invoice_date,
        "posting_date": invoice_date,
        "due_date": due,
        "vendor_invoice_number": f"{vendor.display_name[:3].upper()}-{rng.randint(10000, 99999)}",
        "vendor_id": vendor.id,
        "vendor_number": vendor.number,
        "vendor_name": vendor.display_name,
        "pay_to_name": vendor.display_name,
        "pay_to_vendor_id": vendor.id,
        "pay_to_vendor_number": vendor.number,
        "currency_code": vendor.currency_code,
        "total_amount_excluding_tax": excluding,
        "total_tax_amount": tax,
        "total_amount_including_tax": excluding + tax,
        "status": status,
        "last_modified_date_time": instant(rng, invoice_date, today),
    }
