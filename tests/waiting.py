"""Waiting for an eventually consistent system: poll until a condition holds, within a bound."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
WAIT_SECONDS = 30.0


async def eventually(
    read: Callable[[], Awaitable[T]], accept: Callable[[T], bool], within: float = WAIT_SECONDS
) -> T:
    """Call `read` until `accept` holds for its value; fail with the last value after `within` seconds."""
    last: list[T] = []
    try:
        async with asyncio.timeout(within):
            for attempt in itertools.count():
                value = await read()
                if accept(value):
                    return value
                last[:] = [value]
                await asyncio.sleep(min(0.05 * (attempt + 1), 0.25))
    except TimeoutError:
        raise AssertionError(f"condition not met within {within} s; last value: {last!r}") from None
    raise AssertionError("unreachable")
