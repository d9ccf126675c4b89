"""Helpers every generator of sample books uses: ids, instants and amounts from a seeded RNG."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

CENT = Decimal("0.01")


def new_uuid(rng: random.Random) -> UUID:
    """A version-4 GUID drawn from the generator."""
    return UUID(int=rng.getrandbits(128), version=4)


def derived_uuid(*parts: object) -> UUID:
    """A version-4 GUID that is a pure function of `parts` (ids of runtime-created rows)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return UUID(bytes=digest[:16], version=4)


def id_series(*parts: object) -> Callable[[int], UUID]:
    """Distinct version-4 GUIDs numbered 0, 1, 2… under a prefix derived from `parts`."""
    base = derived_uuid(*parts).int & ~((1 << 48) - 1)
    return lambda number: UUID(int=base + number, version=4)


def instant(rng: random.Random, start: date, end: date) -> datetime:
    """A millisecond-precise UTC instant in [start, end), or the last day before end."""
    first = datetime.combine(min(start, end - timedelta(days=1)), time(), UTC)
    span_ms = int((datetime.combine(end, time(), UTC) - first).total_seconds() * 1000)
    return first + timedelta(milliseconds=rng.randrange(span_ms))


def on_day(rng: random.Random, day: date) -> datetime:
    """A millisecond-precise UTC instant during office hours of `day`."""
    return datetime.combine(day, time(7), UTC) + timedelta(milliseconds=rng.randrange(9 * 3600 * 1000))


def day_between(rng: random.Random, first: date, last: date) -> date:
    """A day in [first, last] (first when the range is empty)."""
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def money(rng: random.Random, low: int, high: int) -> Decimal:
    """An amount with cents between `low` and `high` (whole units)."""
    return Decimal(rng.randint(low * 100, high * 100)).scaleb(-2)


def tax_on(amount: Decimal, rate: Decimal) -> Decimal:
    """Sales tax / VAT on an amount, rounded to the cent."""
    return (amount * rate).quantize(CENT, ROUND_HALF_UP)


def slug(name: str) -> str:
    """Lower-case letters and digits of a name, for e-mail domains."""
    return "".join(char for char in name.lower() if char.isalnum())
