"""The sync service's composition root: client systems in, per-company change events out.

Run: `python -m services.sync.main`. Polls each configured client connection through its
connector and publishes to company.records, company.sync-status and access.events; runs the
commands on sync.commands (refresh a company now) through services/sync/commands.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import structlog
import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from services.sync.commands import CommandDispatcher, register_command_subscriber
from services.sync.connections import ConnectionStore, merged
from services.sync.contexts import ContextFactory
from services.sync.coverage import WebhookCoverage
from services.sync.directory import CompanyDirectory
from services.sync.handlers import Clock, SyncContext
from services.sync.http_pools import HttpPools
from services.sync.metrics import SyncMetrics
from services.sync.poller import poll_forever
from services.sync.publishing import Outbox
from services.sync.refresh import RefreshHandler
from services.sync.registration import Endpoints, RegisterClientHandler
from services.sync.repository import MongoSyncStateStore
from services.sync.settings import SyncSettings
from services.sync.subscriptions import SubscriptionKeeper, keep_subscriptions_forever
from services.sync.task_writeback import TaskWriteBackHandler
from services.sync.webhooks import PATH, WebhookSyncs, webhook_router
from shared.commands import CommandPublisher, CompleteUserTaskRequested, RefreshRequested, RegisterClient
from shared.credentials import CredentialCipher
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


def create_app(settings: SyncSettings, now: Clock = utc_now) -> FastAPI:
    """Wire connectors, the state store, the publisher and the poll loop into one app."""
    broker = make_broker(settings.common, client_id="sync")
    registry = CollectorRegistry()
    client = connect(settings.common.mongo_url, app_name="sync", listeners=[MongoCommandMetrics(registry)])
    store = MongoSyncStateStore(
        database(client, settings.common.mongo_database), remembered=settings.state_cache_companies
    )
    http = HttpPools(settings.request_timeout_seconds, settings.max_concurrent_requests)
    outbox = Outbox(store, EventPublisher(broker))
    metrics = SyncMetrics(registry)
    coverage = WebhookCoverage() if settings.webhook_base_url and settings.trust_webhooks else None
    make_context = ContextFactory(
        settings, http, store, outbox, now, metrics, coverage, asyncio.Semaphore(settings.companies_at_once)
    )
    contexts: list[SyncContext] = []  # filled at start-up: settings plus registered connections
    cipher = CredentialCipher(settings.common.credentials_key) if settings.common.credentials_key else None
    connections = ConnectionStore(database(client, settings.common.mongo_database), cipher)

    directory = CompanyDirectory()
    dispatcher = CommandDispatcher()
    refresh = RefreshHandler(lambda: contexts, directory, outbox, now)
    dispatcher.register(RefreshRequested, refresh)
    webhook_syncs = WebhookSyncs(refresh)
    dispatcher.register(CompleteUserTaskRequested, TaskWriteBackHandler(lambda: contexts, directory, outbox))
    dispatcher.register(
        RegisterClient,
        RegisterClientHandler(
            contexts,
            make_context,
            connections,
            cipher,
            directory,
            CommandPublisher(broker),
            Endpoints(
                settings.registration_api_base_url,
                settings.registration_login_base_url,
                settings.registration_web_client_url,
            ),
            now,
        ),
    )
    register_command_subscriber(
        broker, dispatcher, DeadLetters(broker), settings.command_group_id, settings.command_batch
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        contexts[:] = [make_context(c) for c in merged(settings.connections, await connections.load_all())]
        await broker.start()
        background = [asyncio.create_task(poll_forever(contexts, settings.poll_interval_seconds, directory))]
        if settings.webhook_base_url:
            keeper = SubscriptionKeeper(
                settings.webhook_base_url.rstrip("/") + PATH,
                settings.webhook_client_state,
                timedelta(seconds=settings.webhook_renew_before_seconds),
                now,
                settings.webhook_subscribe_concurrency,
            )
            background.append(
                asyncio.create_task(
                    keep_subscriptions_forever(
                        keeper, contexts, directory, coverage, settings.webhook_check_seconds
                    )
                )
            )
        log.info("sync_started", connections=len(contexts), webhooks=bool(settings.webhook_base_url))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await broker.stop()
            await http.aclose()
            await client.close()

    app = FastAPI(title="Accountant Hub sync", lifespan=lifespan)
    serve_metrics(app, registry)
    app.include_router(webhook_router(settings.webhook_client_state, webhook_syncs))
    app.include_router(
        health_router({"mongo": lambda: ping(client), "kafka": lambda: broker.ping(timeout=2)})
    )
    return app


def main() -> None:
    """Start the sync service with settings from the environment."""
    settings = SyncSettings()
    configure_logging("sync", settings.common.log_json)
    uvicorn.run(create_app(settings), host=settings.common.http_host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()
