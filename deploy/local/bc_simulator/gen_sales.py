"""Sample customers and sales invoices of a company (the original generator, unchanged)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from .entities import Customer, SalesInvoice
from .gen_common import CENT, instant, new_uuid, slug, tax_on
from .locales import Locale

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


def customers(rng: random.Random, locale: Locale, count: int, today: date) -> tuple[Customer, ...]:
    """`count` customers, most of them billed in the local currency."""
    names = rng.sample([f"{a} {b}" for a in CUSTOMER_FIRST for b in CUSTOMER_LAST], count)
    return tuple(
        Customer(
            id=new_uuid(rng),
            number=str(10000 * (i + 1)),
            display_name=name,
            email=f"accounts@{slug(name)}.example",
            currency_code=(locale.currency_code if rng.random() < 0.8 else locale.second_currency_code),
            last_modified_date_time=instant(rng, today - timedelta(days=400), today),
        )
        for i, name in enumerate(names)
    )


def sales_invoices(
    rng: random.Random,
    customers: tuple[Customer, ...],
    locale: Locale,
    count: int,
    today: date,
) -> tuple[SalesInvoice, ...]:
    """`count` invoices numbered in invoice-date order, due around today."""
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
    tax = tax_on(excluding, locale.tax_rate)
    including = excluding + tax
    return {
        "id": new_uuid(rng),
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
        "last_modified_date_time": instant(rng, invoice_date, today),
    }


def _remaining(rng: random.Random, status: str, including: Decimal) -> Decimal:
    if status in ("Paid", "Canceled"):
        return Decimal("0.00")
    if status == "Draft" or rng.random() < 0.7:
        return including
    cents = int(including / CENT)
    return Decimal(rng.randint(1, cents - 1)).scaleb(-2)
