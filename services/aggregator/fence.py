"""The pause a replay asks for while it swaps rebuilt projections in (`services/aggregator/replay.py`).

The replay writes `{_id: "swap", token, until}` into `agg_control`. Every instance's watcher reads it
under the instance's write lock (every half second) and acknowledges a pause under that same lock
(`{_id: "ack:<instance>", token}`); from then on the instance's check before each batch and each
date-rollover pass refuses (the batch is redelivered once the pause ends), without asking the
database. So once an instance has acknowledged, none of its writes is in flight and none starts
until the pause ends; the replay swaps only after every instance acknowledged. `until` is a lease:
a replay that dies mid-swap cannot stop the aggregator for longer than that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import Document

CONTROL_COLLECTION = "agg_control"
SWAP_ID = "swap"
Clock = Callable[[], datetime]


class ProjectionsSwappingError(Exception):
    """A replay is swapping the projection collections; the batch is retried after the pause."""


@dataclass(frozen=True)
class SwapPause:
    """A pause asked for by one replay, valid until its lease runs out."""

    token: str
    until: datetime


class SwapFence:
    """What one aggregator instance reads (and acknowledges) of a replay's pause."""

    def __init__(self, db: AsyncDatabase[Document], instance: str, now: Clock) -> None:
        self._control = db[CONTROL_COLLECTION]
        self._instance = instance
        self._now = now
        self._seen: SwapPause | None = None
        self._looked = False

    async def pause(self) -> SwapPause | None:
        """The pause in force now, if any."""
        doc = await self._control.find_one({"_id": SWAP_ID})
        if doc is None or doc["until"] <= self._now():
            return None
        return SwapPause(doc["token"], doc["until"])

    async def check(self) -> None:
        """Raise ProjectionsSwappingError while the pause this instance acknowledged is in force (call it
        holding the write lock). Once the watcher has looked, no I/O: a batch does not wait on the
        database to learn there is no pause. Before its first look (an instance just started, maybe in
        the middle of a swap), the check looks itself."""
        if not self._looked:
            await self.acknowledge()
        if self._seen is not None and self._seen.until > self._now():
            raise ProjectionsSwappingError(
                "projections are being swapped by a replay; retrying after the pause"
            )

    async def acknowledge(self) -> bool:
        """Read the pause in force and, if there is one, record that this instance has seen it and will
        hold every write until it ends (call it holding the write lock)."""
        pause = await self.pause()
        self._seen, self._looked = pause, True
        if pause is None:
            return False
        await self._control.replace_one(
            {"_id": ack_id(self._instance)}, {"token": pause.token, "at": self._now()}, upsert=True
        )
        return True


def ack_id(instance: str) -> str:
    """The control document where one instance acknowledges a pause."""
    return f"ack:{instance}"


async def ask_pause(db: AsyncDatabase[Document], token: str, until: datetime) -> None:
    """Ask every aggregator instance writing `db` to pause until `until` (or until `resume`)."""
    await db[CONTROL_COLLECTION].replace_one({"_id": SWAP_ID}, {"token": token, "until": until}, upsert=True)


async def acknowledged_by(db: AsyncDatabase[Document], token: str) -> set[str]:
    """The instances that have acknowledged the pause `token`."""
    docs = await db[CONTROL_COLLECTION].find({"_id": {"$regex": "^ack:"}, "token": token}).to_list()
    return {d["_id"].removeprefix("ack:") for d in docs}


async def resume(db: AsyncDatabase[Document]) -> None:
    """End the pause; acknowledgements are removed with it."""
    await db[CONTROL_COLLECTION].delete_many({"_id": {"$in": [SWAP_ID]}})
    await db[CONTROL_COLLECTION].delete_many({"_id": {"$regex": "^ack:"}})


def lease(now: datetime, seconds: float) -> datetime:
    """The end of a pause's lease."""
    return now + timedelta(seconds=seconds)
