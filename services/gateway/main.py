"""The gateway's composition root: the public API and the accountant's web page.

Run: `python -m services.gateway.main`. Reads the aggregator's projections (never writes them)
and serves `/api/v1/...` (OpenAPI at `/docs`) and the page at `/`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import structlog
import uvicorn
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry

from services.gateway.accounts import AccountStore
from services.gateway.clients import ClientStore
from services.gateway.http_server import head_deadline_protocol
from services.gateway.messaging import Messaging
from services.gateway.oidc import oidc_verifier
from services.gateway.openapi import install_openapi
from services.gateway.problems import install_problem_handlers
from services.gateway.refresh_jobs import RefreshJobStore
from services.gateway.routes import access, companies, dashboard, refresh, session, stream
from services.gateway.routes import accounts as accounts_routes
from services.gateway.routes import clients as client_routes
from services.gateway.routes import reports as report_routes
from services.gateway.routes import tasks as task_routes
from services.gateway.routes import views as saved_views
from services.gateway.routes.refresh import RefreshLimits
from services.gateway.row_changes import RowChanges
from services.gateway.settings import GatewaySettings
from services.gateway.tasks_client import TasksClient
from services.gateway.views import ViewStore
from shared.credentials import CredentialCipher
from shared.health import health_router
from shared.logging import configure_logging
from shared.metrics import serve_metrics
from shared.mongo import connect, database, ping
from shared.mongo_metrics import MongoCommandMetrics

log = structlog.get_logger()


def create_app(settings: GatewaySettings) -> FastAPI:
    """Wire the database, the account store, the routes and the page into one app."""
    registry = CollectorRegistry()
    client = connect(settings.common.mongo_url, app_name="gateway", listeners=[MongoCommandMetrics(registry)])
    db = database(client, settings.common.mongo_database)
    accounts = AccountStore(db, timedelta(hours=settings.session_ttl_hours))
    views = ViewStore(db)
    jobs = RefreshJobStore(db, timedelta(seconds=settings.refresh_timeout_seconds))
    clients = ClientStore(db)
    messaging = Messaging.create(settings, jobs, clients)
    row_changes = RowChanges(db["dashboard_rows"], retry_seconds=settings.stream_poll_seconds)
    oidc_http = httpx.AsyncClient(timeout=10)
    tasks_http = httpx.AsyncClient(base_url=settings.tasks_url, timeout=settings.tasks_timeout_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await accounts.create_indexes()
        await views.create_indexes()
        await jobs.create_indexes()
        await clients.create_indexes()
        await messaging.start()
        for seed in settings.seed_accounts:
            await accounts.ensure_account(seed.email, seed.password.get_secret_value())
        watching = asyncio.create_task(row_changes.run(), name="row-changes")
        log.info("gateway_started", seeded_accounts=len(settings.seed_accounts))
        try:
            yield
        finally:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
            await messaging.stop()
            await oidc_http.aclose()
            await tasks_http.aclose()
            await client.close()

    app = FastAPI(
        title="Accountant Hub API",
        version="1",
        description="One live dashboard over every client company you keep the books of.",
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.accounts = accounts
    app.state.views = views
    app.state.refresh_jobs = jobs
    app.state.clients = clients
    key = settings.common.credentials_key
    app.state.credentials = CredentialCipher(key) if key else None
    app.state.commands = messaging.commands
    app.state.refresh_limits = RefreshLimits(
        per_window=settings.refresh_jobs_per_minute, window=timedelta(minutes=1)
    )
    app.state.stream_poll_seconds = settings.stream_poll_seconds
    app.state.stream_session_check_seconds = settings.stream_session_check_seconds
    app.state.row_changes = row_changes
    app.state.public_email_domains = frozenset(settings.public_email_domains)
    app.state.oidc = oidc_verifier(settings, oidc_http)
    app.state.tasks_client = TasksClient(tasks_http)
    app.state.secure_cookies = settings.secure_cookies
    app.include_router(session.router)
    app.include_router(accounts_routes.router)
    app.include_router(dashboard.router)
    app.include_router(companies.router)
    app.include_router(saved_views.router)
    app.include_router(refresh.router)
    app.include_router(stream.router)
    app.include_router(access.router)
    app.include_router(client_routes.router)
    app.include_router(task_routes.router)
    app.include_router(report_routes.router)
    install_problem_handlers(app, settings.max_body_bytes, settings.body_timeout_seconds)
    install_openapi(app)
    serve_metrics(app, registry)
    app.include_router(health_router({"mongo": lambda: ping(client), **messaging.readiness()}))
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")
    index = settings.static_dir / "index.html"

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(index)

    return app


def main() -> None:
    """Start the gateway with settings from the environment."""
    settings = GatewaySettings()
    configure_logging("gateway", settings.common.log_json)
    uvicorn.run(
        create_app(settings),
        host=settings.common.http_host,
        port=settings.port,
        log_config=None,
        http=head_deadline_protocol(settings.header_timeout_seconds),
        timeout_keep_alive=settings.keep_alive_seconds,
    )


if __name__ == "__main__":
    main()
