"""Money is exact (Decimal) and always carries its currency; currencies are never added together."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Money(BaseModel):
    """An exact amount in one currency."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code, e.g. GBP")

    @field_validator("amount", mode="before")
    @classmethod
    def _refuse_float(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError("money must not be a float; send a string or a JSON number")
        return value


class CurrencyTotal(BaseModel):
    """The sum and count of amounts in one currency."""

    model_config = ConfigDict(frozen=True)

    currency: str
    amount: Decimal
    count: int


def totals_by_currency(amounts: Iterable[Money]) -> list[CurrencyTotal]:
    """Sum amounts per currency (never across currencies), sorted by currency code."""
    sums: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for money in amounts:
        sums[money.currency] = sums.get(money.currency, Decimal(0)) + money.amount
        counts[money.currency] = counts.get(money.currency, 0) + 1
    return [CurrencyTotal(currency=c, amount=sums[c], count=counts[c]) for c in sorted(sums)]
