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

    async def paced(self, share: float, over: float) -> None:
        """Wait until the requests of the last `over` seconds are fewer than `share` of the window's,
        scaled to `over`: work that should use at most that share of the budget, and evenly, waits
        here before it asks anything. (Waiting for the whole window to drop below a share would not
        do: after a burst nothing leaves the window for minutes, and the work would stall.)"""
        places = max(1, int(self._limit * share * over / self._window))
        async with self._changed:
            while True:
                now = self._clock()
                recent, oldest = self._in_flight, None
                for answered in reversed(self._answered):
                    if answered <= now - over:
                        break
                    recent, oldest = recent + 1, answered
                if recent < places:
                    return
                until_room = oldest + over - now if oldest is not None else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), until_room)

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
