"""The tasks service's composition root: user tasks across every client company.

Run: `python -m services.tasks.main`. Serves the internal task API to the gateway, consumes
grants (access.events) and client-system tasks (company.records), and publishes task events to
tasks.events (and write-back commands to sync.commands) through each task's outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import structlog
import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from services.tasks.api import router
from services.tasks.handlers import Clock, TaskService
from services.tasks.repository import MongoTaskStore
from services.tasks.settings import TasksSettings
from services.tasks.subscribers import register_subscribers
from shared.commands import CommandPublisher
from shared.health import health_router
from shared.kafka import DeadLetters, EventPublisher, make_broker
from shared.logging import configure_logging
from shared.metrics import serve_metrics
from shared.mongo import connect, database, ping
from shared.mongo_metrics import MongoCommandMetrics

log = structlog.get_logger()


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def create_app(settings: TasksSettings, now: Clock = utc_now) -> FastAPI:
    """Wire the task store, the broker, the consumer, the outbox and the API into one app."""
    broker = make_broker(settings.common, client_id="tasks")
    registry = CollectorRegistry()
    client = connect(settings.common.mongo_url, app_name="tasks", listeners=[MongoCommandMetrics(registry)])
    store = MongoTaskStore(database(client, settings.common.mongo_database))
    service = TaskService(store, EventPublisher(broker), CommandPublisher(broker), now)
    register_subscribers(broker, service, store, DeadLetters(broker), settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await store.create_indexes()
        await broker.start()
        flusher = asyncio.create_task(_flush_outbox_forever(service, settings.outbox_flush_seconds))
        log.info("tasks_started")
        try:
            yield
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await broker.stop()
            await client.close()

    app = FastAPI(title="Accountant Hub tasks (internal)", lifespan=lifespan)
    app.state.tasks = service
    app.include_router(router)
    serve_metrics(app, registry)
    app.include_router(
        health_router({"mongo": lambda: ping(client), "kafka": lambda: broker.ping(timeout=2)})
    )
    return app


async def _flush_outbox_forever(service: TaskService, every_seconds: float) -> None:
    """Re-send events a crash (or a broker hiccup) left in an outbox: at start, then periodically."""
    while True:
        try:
            sent = await service.flush_outbox()
            if sent:
                log.info("task_outbox_flushed", events=sent)
        except Exception:
            log.exception("task_outbox_flush_failed_will_retry")
        await asyncio.sleep(every_seconds)


def main() -> None:
    """Start the tasks service with settings from the environment."""
    settings = TasksSettings()
    configure_logging("tasks", settings.common.log_json)
    uvicorn.run(create_app(settings), host=settings.common.http_host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()
