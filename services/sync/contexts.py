"""Building the SyncContext of a client connection: its connector, budget and shared ports."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from services.sync.connectors.bc_client import BusinessCentralClient
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.connectors.business_central import BusinessCentralConnector
from services.sync.coverage import WebhookCoverage
from services.sync.handlers import Clock, SyncContext
from services.sync.http_pools import HttpPools
from services.sync.metrics import SyncMetrics
from services.sync.publishing import Outbox
from services.sync.repository import SyncStateStore
from services.sync.settings import ClientConnection, SyncSettings


@dataclass(frozen=True)
class ContextFactory:
    """Makes the context of one connection (each environment gets its own request budget)."""

    settings: SyncSettings
    http: HttpPools
    store: SyncStateStore
    outbox: Outbox
    now: Clock
    metrics: SyncMetrics
    coverage: WebhookCoverage | None = None
    process_passes: asyncio.Semaphore | None = None
    """The process's turns (SYNC_COMPANIES_AT_ONCE), shared by every context it makes."""

    def __call__(self, connection: ClientConnection) -> SyncContext:
        """A context whose connector talks to the connection's Business Central environment."""
        s = self.settings
        budget = SlidingWindowBudget(s.requests_per_window, s.window_seconds)
        client = BusinessCentralClient(
            self.http.for_connection(connection.client_id),
            connection,
            s.max_concurrent_requests,
            budget,
            on_response=self.metrics.response,
        )
        return SyncContext(
            connection=connection,
            connector=BusinessCentralConnector(client, connection),
            store=self.store,
            outbox=self.outbox,
            now=self.now,
            heartbeat=timedelta(seconds=s.heartbeat_seconds),
            metrics=self.metrics,
            full_pass=timedelta(seconds=s.full_pass_interval_seconds),
            coverage=self.coverage,
            passes=asyncio.Semaphore(s.max_concurrent_requests),
            process_passes=self.process_passes,
            budget=budget,
            poll_budget_share=s.poll_budget_share,
        )
