"""Sample sales orders, quotes and credit memos (the hub counts the open ones)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from .entities import Customer
from .entities_sales import UNSET_DATE, UNSET_DATETIME, SalesCreditMemo, SalesOrder, SalesQuote
from .enums import EXPIRED_QUOTE, IN_REVIEW, DocumentStatus, SalesOrderStatus, SalesQuoteStatus
from .gen_common import instant, money, new_uuid, on_day, tax_on
from .locales import Locale

ORDER_STATUSES: tuple[SalesOrderStatus, ...] = ("Draft", IN_REVIEW, "Open")
QUOTE_STATUSES: tuple[SalesQuoteStatus, ...] = ("Draft", "Sent", "Accepted", "Expired_x0020_")
MEMO_STATUSES: tuple[DocumentStatus, ...] = ("Open", "Paid", "Draft", IN_REVIEW)


def _common(rng: random.Random, customer: Customer, locale: Locale, low: int, high: int) -> dict[str, object]:
    excluding = money(rng, low, high)
    tax = tax_on(excluding, locale.tax_rate)
    return {
        "id": new_uuid(rng),
        "customer_id": customer.id,
        "customer_number": customer.number,
        "customer_name": customer.display_name,
        "currency_code": customer.currency_code,
        "total_amount_excluding_tax": excluding,
        "total_tax_amount": tax,
        "total_amount_including_tax": excluding + tax,
    }


def sales_orders(
    rng: random.Random, customers: tuple[Customer, ...], locale: Locale, count: int, today: date
) -> tuple[SalesOrder, ...]:
    """Orders taken in the last six weeks, most of them released (Open)."""
    orders = []
    for index in range(count):
        ordered = today - timedelta(days=rng.randint(0, 40))
        orders.append(
            SalesOrder.model_validate(
                _common(rng, rng.choice(customers), locale, 200, 30_000)
                | {
                    "number": f"S-ORD-{101001 + index}",
                    "order_date": ordered,
                    "posting_date": ordered,
                    "requested_delivery_date": ordered + timedelta(days=rng.randint(7, 30)),
                    "status": rng.choices(ORDER_STATUSES, (30, 10, 60))[0],
                    "last_modified_date_time": instant(rng, ordered, today),
                }
            )
        )
    return tuple(orders)


def sales_quotes(
    rng: random.Random, customers: tuple[Customer, ...], locale: Locale, count: int, today: date
) -> tuple[SalesQuote, ...]:
    """Quotes valid for 30 days; expired ones carry either `Expired_x0020_` or `"Expired "`."""
    statuses = [*EXPIRED_QUOTE, *rng.choices(QUOTE_STATUSES, (25, 35, 20, 20), k=count - len(EXPIRED_QUOTE))]
    return tuple(
        _quote(rng, rng.choice(customers), locale, today, index, s) for index, s in enumerate(statuses)
    )


def _quote(
    rng: random.Random, customer: Customer, locale: Locale, today: date, index: int, status: SalesQuoteStatus
) -> SalesQuote:
    if status in EXPIRED_QUOTE:
        status = rng.choice(EXPIRED_QUOTE) if index >= len(EXPIRED_QUOTE) else status
        written = today - timedelta(days=rng.randint(31, 90))
    else:
        written = today - timedelta(days=rng.randint(0, 29))
    sent = status != "Draft"
    return SalesQuote.model_validate(
        _common(rng, customer, locale, 300, 40_000)
        | {
            "number": f"S-QUO-{1001 + index}",
            "document_date": written,
            "posting_date": written,
            "due_date": written + timedelta(days=30),
            "valid_until_date": written + timedelta(days=30),
            "status": status,
            "sent_date": on_day(rng, written) if sent else UNSET_DATETIME,
            "accepted_date": written + timedelta(days=rng.randint(1, 20))
            if status == "Accepted"
            else UNSET_DATE,
            "last_modified_date_time": instant(rng, written, today),
        }
    )


def sales_credit_memos(
    rng: random.Random, customers: tuple[Customer, ...], locale: Locale, count: int, today: date
) -> tuple[SalesCreditMemo, ...]:
    """Credit memos for returns and allowances; Paid ones were refunded."""
    memos = []
    for index in range(count):
        written = today - timedelta(days=rng.randint(0, 60))
        memos.append(
            SalesCreditMemo.model_validate(
                _common(rng, rng.choice(customers), locale, 20, 2_500)
                | {
                    "number": f"S-CR-{104001 + index}",
                    "credit_memo_date": written,
                    "posting_date": written,
                    "due_date": written,
                    "status": rng.choices(MEMO_STATUSES, (40, 40, 15, 5))[0],
                    "last_modified_date_time": instant(rng, written, today),
                }
            )
        )
    return tuple(memos)
