"""The refresh command: sync one company now and say how it went, echoing the asker's correlation id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
import structlog

from services.sync.connectors.base import ClientSystemError, RemoteCompany
from services.sync.directory import CompanyDirectory
from services.sync.handlers import Clock, SyncContext, Trigger, failed_event, sync_company
from services.sync.notified import Notified
from services.sync.publishing import Outbox
from shared.commands import RefreshRequested
from shared.ids import CompanyId
from shared.topics import COMPANY_SYNC_STATUS

log = structlog.get_logger()
NOT_FOUND = "company not found in any connected client system (was the connection removed?)"


@dataclass(frozen=True)
class RefreshHandler:
    """Syncs the company a RefreshRequested names, through the connection that lists it."""

    contexts: Callable[[], Sequence[SyncContext]]
    directory: CompanyDirectory
    outbox: Outbox
    now: Clock

    async def __call__(self, command: RefreshRequested, notified: Notified | None = None) -> None:
        """Sync now (only what was `notified`, when change notices triggered it: services/sync/notified.py);
        a company no connection lists gets a failed status with the reason."""
        trigger = Trigger(command.correlation_id, str(command.command_id))
        found = self._find(command.company_id) or await self._find_after_listing(command.company_id)
        if found is None:
            log.info("refresh_of_unknown_company", company_id=command.company_id)
            batch = self.outbox.batch(command.company_id)
            batch.add(COMPANY_SYNC_STATUS, failed_event(command.company_id, self.now(), NOT_FOUND, trigger))
            await batch.publish()
            return
        ctx, company = found
        if notified is None:
            await sync_company(ctx, company, trigger)
        else:
            await sync_company(ctx, company, trigger, notified.entity_sets, notified.deleted_from)

    def _find(self, company_id: CompanyId) -> tuple[SyncContext, RemoteCompany] | None:
        hit = self.directory.find(company_id)
        if hit is None:
            return None
        connection_id, company = hit
        ctx = next((c for c in self.contexts() if c.connection.client_id == connection_id), None)
        return (ctx, company) if ctx is not None else None

    async def _find_after_listing(self, company_id: CompanyId) -> tuple[SyncContext, RemoteCompany] | None:
        """A company created since the last poll: list every connection once more, then look again."""
        for ctx in self.contexts():
            try:
                companies = await ctx.connector.list_companies()
            except (ClientSystemError, httpx.HTTPError):
                continue
            known = self.directory.known(ctx.connection.client_id)
            known.update({c.id: c for c in companies})
        return self._find(company_id)
