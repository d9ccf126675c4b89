"""Independent awaitables run at once, with failures told only after every one has ended."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def together(*steps: Awaitable[T]) -> list[T]:
    """Run `steps` at once and return their results in order, once every one has ended; a failure is
    raised only then (the first in argument order), so nothing is still in flight when the caller
    reacts to it (drops cached state, names the feed that failed).

    Why at once: a shared database server answers each connection in turn, so commands sent one
    after another each wait out its whole queue, commands sent together wait it out once; a client
    system's feeds likewise answer in the time of one request, not one per feed."""
    outcomes = await asyncio.gather(*steps, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return outcomes  # type: ignore[return-value]  # no exception is left among them
