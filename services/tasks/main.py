"""The tasks service's composition root: user tasks across every client company.

Run: `python -m services.tasks.main`. Today it owns its collection and answers health probes;
commands (create, assign, complete) and task events come with the tasks issue.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import structlog
import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from services.tasks.repository import MongoTaskStore
from services.tasks.settings import TasksSettings
from shared.health import health_router
from shared.kafka import make_broker
from shared.logging import configure_logging
from shared.metrics import serve_metrics
from shared.mongo import connect, database, ping

log = structlog.get_logger()


def create_app(settings: TasksSettings) -> FastAPI:
    """Wire the task store, the broker and the health probes into one app."""
    broker = make_broker(settings.common.kafka_bootstrap_servers, client_id="tasks")
    client = connect(settings.common.mongo_url, app_name="tasks")
    store = MongoTaskStore(database(client, settings.common.mongo_database))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await store.create_indexes()
        await broker.start()
        log.info("tasks_started")
        try:
            yield
        finally:
            await broker.stop()
            await client.close()

    app = FastAPI(title="Accountant Hub tasks", lifespan=lifespan)
    serve_metrics(app, CollectorRegistry())
    app.include_router(
        health_router({"mongo": lambda: ping(client), "kafka": lambda: broker.ping(timeout=2)})
    )
    return app


def main() -> None:
    """Start the tasks service with settings from the environment."""
    settings = TasksSettings()
    configure_logging("tasks", settings.common.log_json)
    uvicorn.run(create_app(settings), host=settings.common.http_host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()
