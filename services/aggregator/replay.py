"""Rebuild every aggregator projection from the topics into fresh collections, then swap them in.

Run: `python -m services.aggregator.replay` (or `make replay`), with the aggregator's settings.
1. Capture the end offsets of the consumed topics.
2. Run the aggregator itself (its own `create_app`, so every collection it writes is rebuilt, by
   the same code) with a fresh consumer group from the earliest offsets into the database
   `<db>__replay_<token>`, until its commits reach those ends. The live collections keep serving.
3. Pause the live aggregator (`fence.py`) and wait until every member of its group has
   acknowledged, catch up to the end offsets of that moment, then rename each rebuilt collection
   over its live twin (`renameCollection` with `dropTarget`, atomic per collection on MongoDB and
   on SecantusDB) and end the pause.
The live group then resumes from its own commits, which are at most the replay's (it committed
nothing while paused), so the events in between are re-applied to the new collections as guarded
no-ops. Readers never change: the gateway keeps reading the same collection names.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import structlog
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.compare import owned_collections
from services.aggregator.fence import CONTROL_COLLECTION, acknowledged_by, ask_pause, lease, resume
from services.aggregator.main import create_app
from services.aggregator.offsets import Offsets, behind, committed_offsets, end_offsets, group_members
from services.aggregator.settings import AggregatorSettings
from services.aggregator.subscribers import CONSUMED
from shared.logging import configure_logging
from shared.mongo import Document, connect, database

log = structlog.get_logger()


def replica_settings(settings: AggregatorSettings, database_name: str, group: str) -> AggregatorSettings:
    """The aggregator's settings, writing `database_name` as consumer group `group`."""
    common = settings.common.model_copy(update={"mongo_database": database_name})
    return settings.model_copy(update={"common": common, "group_id": group, "park_poison": False})


@contextlib.asynccontextmanager
async def running_aggregator(settings: AggregatorSettings) -> AsyncIterator[None]:
    """The aggregator running in this process (consumers and date rollover, no HTTP server)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield


async def wait_until_covered(settings: AggregatorSettings, targets: Offsets, within: float) -> None:
    """Wait until the group of `settings` has committed at least `targets` on every partition."""
    deadline = time.monotonic() + within
    while (left := behind(await committed_offsets(settings.common, settings.group_id), targets)) > 0:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"replay group {settings.group_id} is still {left} events behind after {within:g}s; "
                "check the aggregator's log for errors, or run again with a longer --timeout"
            )
        await asyncio.sleep(0.5)


async def rebuild(settings: AggregatorSettings, database_name: str, within: float = 600) -> Offsets:
    """Project every event up to the current end offsets into `database_name`; returns those ends."""
    targets = await end_offsets(settings.common, CONSUMED)
    replica = replica_settings(settings, database_name, f"{settings.group_id}-rebuild-{uuid.uuid4().hex[:8]}")
    async with running_aggregator(replica):
        await wait_until_covered(replica, targets, within)
    return targets


async def swap_in(client: AsyncMongoClient[Document], source: str, target: str) -> list[str]:
    """Rename every collection of `source` over its twin in `target`; drop owned ones it lacks."""
    rebuilt = set(await client[source].list_collection_names()) - {CONTROL_COLLECTION}
    names = sorted(rebuilt | owned_collections(client[target]))
    for name in names:
        if name in rebuilt:
            await client.admin.command(
                "renameCollection", f"{source}.{name}", to=f"{target}.{name}", dropTarget=True
            )
        else:
            await client[target].drop_collection(name)
    await client.drop_database(source)
    return names


async def wait_for_pause(
    settings: AggregatorSettings, live: AsyncDatabase[Document], token: str, within: float
) -> None:
    """Wait until every member of the live group has acknowledged the pause `token`."""
    deadline = time.monotonic() + within
    while missing := await group_members(settings.common, settings.group_id) - await acknowledged_by(
        live, token
    ):
        if time.monotonic() > deadline:
            raise TimeoutError(f"aggregator instances {sorted(missing)} did not pause within {within:g}s")
        await asyncio.sleep(0.2)


async def replay(settings: AggregatorSettings, within: float = 600, lease_seconds: float = 120) -> list[str]:
    """Rebuild every projection from the topics and swap it in; returns the collections swapped."""
    token = uuid.uuid4().hex[:8]
    live_name = settings.common.mongo_database
    replica = replica_settings(
        settings, f"{live_name}__replay_{token}", f"{settings.group_id}-replay-{token}"
    )
    client = connect(settings.common.mongo_url, app_name="aggregator-replay")
    live = database(client, live_name)
    try:
        targets = await end_offsets(settings.common, CONSUMED)
        log.info("replay_started", database=replica.common.mongo_database, events=sum(targets.values()))
        async with running_aggregator(replica):
            await wait_until_covered(replica, targets, within)
            log.info("replay_caught_up_pausing_live_aggregator")
            await ask_pause(live, token, lease(datetime.now(UTC), lease_seconds))
            try:
                await wait_for_pause(settings, live, token, within=lease_seconds / 2)
                await wait_until_covered(
                    replica, await end_offsets(settings.common, CONSUMED), lease_seconds / 2
                )
            except BaseException:
                await resume(live)
                raise
        try:
            await ask_pause(live, token, lease(datetime.now(UTC), lease_seconds))
            swapped = await swap_in(client, replica.common.mongo_database, live_name)
        finally:
            await resume(live)
        log.info("replay_swapped_in", collections=swapped)
        return swapped
    finally:
        await client.close()


def main() -> None:
    """`python -m services.aggregator.replay [--into DB] [--timeout S]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--into", help="only rebuild into this database (no swap), e.g. to compare")
    parser.add_argument("--timeout", type=float, default=600, help="longest wait to catch up, seconds")
    args = parser.parse_args()
    settings = AggregatorSettings()
    configure_logging("aggregator-replay", settings.common.log_json)
    if args.into:
        asyncio.run(rebuild(settings, args.into, args.timeout))
    else:
        asyncio.run(replay(settings, args.timeout))


if __name__ == "__main__":
    main()
