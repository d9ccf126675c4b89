"""Which dashboard rows changed, for every event stream this gateway process serves.

One MongoDB change stream on `dashboard_rows` per process, open while anyone subscribes, fanned out
by accountant: a row's id is `<accountant>|<company>` (`row_id` in shared/ids.py), so
inserts, replacements and deletions (a revoked grant) all name whose row it was. An event stream then
costs nothing while nothing changes, however many rows its accountant has, and the work of finding
changes stays with MongoDB (change streams need a replica set, which every deployment of the hub
runs). With nobody subscribed the change stream is closed: it costs the server some work per row
written (SecantusDB, the local MongoDB-wire server, about 0.8 ms of CPU: twice the write itself).

When the change stream is cut off (the collection was swapped by a replay, or the server went away
and the stream could not resume), every subscriber is told that anything may have changed, and the
watcher starts again from the present.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from shared.ids import AccountantId, row_owner
from shared.mongo import Document

log = structlog.get_logger()
ROW_EVENTS = ("insert", "replace", "update", "delete")
ENDS_THE_STREAM = ("drop", "rename", "dropDatabase", "invalidate")
ONLY_THE_KEY = [{"$project": {"operationType": 1, "documentKey": 1}}]
AWAIT_MS = 1000  # a wait for changes returns empty after this long, to see whether anyone still listens
OPENING_SECONDS = 5.0  # how long a new subscriber waits for the change stream to open


@dataclass(eq=False)
class RowSubscription:
    """What changed in one accountant's rows since the subscriber last took it."""

    company_ids: set[str] = field(default_factory=set)
    everything: bool = False
    """Set when changes may have been missed: the subscriber should treat every row as changed."""
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, company_id: str) -> None:
        self.company_ids.add(company_id)
        self._ready.set()

    def lose_track(self) -> None:
        self.everything = True
        self._ready.set()

    async def wait(self, seconds: float) -> bool:
        """Whether something changed within `seconds` (at once if it already had)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), seconds)
        return self._ready.is_set()

    def take(self) -> tuple[set[str], bool]:
        """The companies whose rows changed and whether anything may have; both reset."""
        taken, everything = self.company_ids, self.everything
        self.company_ids, self.everything = set(), False
        self._ready.clear()
        return taken, everything


class RowChanges:
    """Watches `dashboard_rows` and tells each accountant's subscribers which of their rows changed."""

    def __init__(
        self,
        rows: AsyncCollection[Document],
        retry_seconds: float = 1.0,
        opening_seconds: float = OPENING_SECONDS,
    ) -> None:
        self._rows = rows
        self._retry_seconds = retry_seconds
        self._opening_seconds = opening_seconds
        self._subscribers: defaultdict[AccountantId, set[RowSubscription]] = defaultdict(set)
        self._wanted = asyncio.Event()
        self._resume_token: Mapping[str, Any] | None = None
        self._warned = False
        self.watching = asyncio.Event()
        """Set while the change stream is open."""

    @contextlib.asynccontextmanager
    async def subscribe(self, accountant: AccountantId) -> AsyncIterator[RowSubscription]:
        """Changes to `accountant`'s rows from now until the block ends. The first subscriber opens the
        change stream and waits for it (at most `opening_seconds`: past that, or without change streams,
        it hears that anything may have changed at each retry instead)."""
        subscription = RowSubscription()
        self._subscribers[accountant].add(subscription)
        self._wanted.set()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.watching.wait(), self._opening_seconds)
            yield subscription
        finally:
            self._subscribers[accountant].discard(subscription)
            if not self._subscribers[accountant]:
                del self._subscribers[accountant]
            if not self._subscribers:
                self._wanted.clear()

    async def run(self) -> None:
        """Follow the change stream while anyone subscribes, until cancelled, reopening it whenever it
        ends.

        While it cannot be opened, subscribers are told every `retry_seconds` that anything may have
        changed: they fall back to reading all their rows at that pace."""
        while True:
            await self._wanted.wait()
            try:
                await self._follow()
                if not self._subscribers:  # the last one left: closed, not lost
                    self.watching.clear()
                    continue
            except PyMongoError as error:
                if self.watching.is_set() or not self._warned:  # once per outage, not every retry
                    log.warning("row_changes_interrupted", error=str(error)[:300])
                self._warned = True
                self._resume_token = None  # resuming failed too (pymongo retries once itself)
            self.watching.clear()
            self._lose_track()
            await asyncio.sleep(self._retry_seconds)

    async def _follow(self) -> None:
        async with await self._rows.watch(
            ONLY_THE_KEY, resume_after=self._resume_token, max_await_time_ms=AWAIT_MS
        ) as stream:
            self.watching.set()
            self._warned = False
            while self._subscribers:
                change = await stream.try_next()
                self._resume_token = stream.resume_token
                if change is None:
                    if not stream.alive:  # invalidated: the collection was swapped
                        self._resume_token = None
                        return
                    continue
                operation = change.get("operationType")
                if operation in ROW_EVENTS:
                    self._deliver(str(change["documentKey"]["_id"]))
                elif operation in ENDS_THE_STREAM:
                    self._resume_token = None  # the collection was swapped: start from the present
                    return
            self._resume_token = None  # nobody listens: the next subscriber starts from the present

    def _deliver(self, row: str) -> None:
        accountant, company_id = row_owner(row)
        for subscription in self._subscribers.get(accountant, ()):
            subscription.add(company_id)

    def _lose_track(self) -> None:
        for subscriptions in self._subscribers.values():
            for subscription in subscriptions:
                subscription.lose_track()
