"""The aggregator's composition root: Kafka in, MongoDB projections out.

Run: `python -m services.aggregator.main`. Consumes company.records, company.sync-status and
access.events in batches and keeps `company_figures` and `dashboard_rows` (read by the gateway).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import structlog
import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from services.aggregator.fence import ProjectionsSwappingError, SwapFence
from services.aggregator.handlers import Clock, rederive_where_day_turned
from services.aggregator.ledger import MongoLedgerStore
from services.aggregator.metrics import AggregatorMetrics
from services.aggregator.repository import MongoProjectionStore, ProjectionStore
from services.aggregator.settings import AggregatorSettings
from services.aggregator.subscribers import AlreadyParked, register_subscribers
from shared.health import health_router
from shared.kafka import DeadLetters, make_broker
from shared.logging import configure_logging
from shared.metrics import serve_metrics
from shared.mongo import connect, database, ping
from shared.mongo_metrics import MongoCommandMetrics

log = structlog.get_logger()


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def create_app(settings: AggregatorSettings, now: Clock = utc_now) -> FastAPI:
    """Wire the broker, the projection store and the health probes into one app."""
    # A client id per instance: a replay's swap waits until every member of the group has paused.
    instance = f"aggregator-{socket.gethostname()}-{os.getpid()}"
    broker = make_broker(settings.common, client_id=instance)
    registry = CollectorRegistry()
    client = connect(
        settings.common.mongo_url, app_name="aggregator", listeners=[MongoCommandMetrics(registry)]
    )
    db = database(client, settings.common.mongo_database)
    store = MongoProjectionStore(db, cached_companies=settings.cached_companies)
    ledger = MongoLedgerStore(db)
    fence = SwapFence(db, instance, now)
    write_lock = asyncio.Lock()
    metrics = AggregatorMetrics(registry)
    dead_letters = DeadLetters(broker) if settings.park_poison else AlreadyParked()
    register_subscribers(broker, store, dead_letters, now, settings, write_lock, metrics, ledger, fence)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await store.create_indexes()
        await ledger.create_indexes()
        await broker.start()
        rollover = asyncio.create_task(_watch_date_rollover(store, now, settings, write_lock, fence))
        swaps = asyncio.create_task(_acknowledge_swaps(fence, write_lock, store))
        log.info("aggregator_started")
        try:
            yield
        finally:
            rollover.cancel()
            swaps.cancel()
            await broker.stop()
            await client.close()

    app = FastAPI(title="Accountant Hub aggregator", lifespan=lifespan)
    serve_metrics(app, registry)
    app.include_router(
        health_router({"mongo": lambda: ping(client), "kafka": lambda: broker.ping(timeout=2)})
    )
    return app


async def _watch_date_rollover(
    store: ProjectionStore, now: Clock, settings: AggregatorSettings, lock: asyncio.Lock, fence: SwapFence
) -> None:
    """Overdue changes at midnight in each company's zone, with no event: re-derive then."""
    while True:
        await asyncio.sleep(settings.rollover_check_seconds)
        try:
            async with lock:
                await fence.check()
                count = await rederive_where_day_turned(store, now)
            if count:
                log.info("figures_rederived_for_new_day", companies=count)
        except ProjectionsSwappingError:
            log.info("date_rollover_deferred_while_projections_are_swapped")
        except Exception:
            log.exception("date_rollover_failed_will_retry")


async def _acknowledge_swaps(
    fence: SwapFence, lock: asyncio.Lock, store: ProjectionStore, interval: float = 0.5
) -> None:
    """Tell a replay, under the write lock, that this instance has no write in flight and will pause.

    The collections are about to be replaced, so the state kept between batches is dropped too.
    """
    while True:
        await asyncio.sleep(interval)
        try:
            async with lock:
                if await fence.acknowledge():
                    store.forget_cached_state()
        except Exception:
            log.warning("swap_acknowledgement_failed_will_retry", exc_info=True)


def main() -> None:
    """Start the aggregator with settings from the environment."""
    settings = AggregatorSettings()
    configure_logging("aggregator", settings.common.log_json)
    uvicorn.run(create_app(settings), host=settings.common.http_host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()
