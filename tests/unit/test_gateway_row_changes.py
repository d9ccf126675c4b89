"""The gateway's watcher of dashboard rows when MongoDB offers no change stream (a standalone server):
every stream is told, at the retry pace, that anything may have changed, so pages still refresh."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import OperationFailure

from services.gateway.row_changes import RowChanges
from shared.ids import AccountantId
from shared.mongo import Document


class NoChangeStreams:
    """A collection on a server that refuses `watch`, as a standalone mongod does."""

    def __init__(self) -> None:
        self.attempts = 0

    async def watch(self, *_: Any, **__: Any) -> Any:
        self.attempts += 1
        raise OperationFailure("The $changeStream stage is only supported on replica sets", code=40573)


async def test_without_a_change_stream_subscribers_hear_anything_may_have_changed_at_each_retry() -> None:
    rows = NoChangeStreams()
    changes = RowChanges(cast(AsyncCollection[Document], rows), retry_seconds=0.01, opening_seconds=0.1)
    watcher = asyncio.create_task(changes.run())
    try:
        async with changes.subscribe(AccountantId("me@firm.example")) as mine:
            assert await mine.wait(5)
            assert mine.take() == (set(), True)
            assert await mine.wait(5)  # again at the next retry, not once only
            attempts = rows.attempts
            await asyncio.sleep(0.1)
            assert rows.attempts > attempts
        assert not changes.watching.is_set()
    finally:
        watcher.cancel()
