"""Keeping within a client environment's request budget: a sliding window of requests per period."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable


class SlidingWindowBudget:
    """At most `limit` requests in any `window_seconds`, as the server counts them; waits for room.

    A request holds its place from the moment it is let through until `window_seconds` after its
    response came back. The server admitted it somewhere in between, and only the response time is
    known here, so freeing the place any earlier (say, a window after it was let through) lets a
    request wait for a slot or for the network, reach the server late, and put one request too many
    in the server's window: a 429 and a wasted round trip. Waiting from the response costs a window
    only the request's own latency.
    """

    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._in_flight = 0
        self._answered: deque[float] = deque()  # response times, oldest first
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """Hold a place in the window for one request (the body sends it)."""
        await self._acquire()
        try:
            yield
        finally:
            await self._release()

    @property
    def used(self) -> int:
        """Places taken in the current window (answered within it, or in flight)."""
        self._expire(self._clock())
        return self._in_flight + len(self._answered)

    def used_share(self) -> float:
        """How much of the window is taken, from 0 (none) to 1 (requests now wait for room)."""
        return self.used / self._limit

    async def _acquire(self) -> None:
        async with self._changed:
            while True:
                now = self._clock()
                self._expire(now)
                if self._in_flight + len(self._answered) < self._limit:
                    self._in_flight += 1
                    return
                # Room comes back when the oldest answer leaves the window; with every place in
                # flight, wait for an answer first (it then leaves the window in its turn).
                until_expiry = self._answered[0] + self._window - now if self._answered else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), until_expiry)

    async def _release(self) -> None:
        async with self._changed:
            self._in_flight -= 1
            self._answered.append(self._clock())
            self._changed.notify_all()

    def _expire(self, now: float) -> None:
        while self._answered and self._answered[0] <= now - self._window:
            self._answered.popleft()
