"""Where a simulated company keeps its books: time zone, local currency, legal form, sales tax."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


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
