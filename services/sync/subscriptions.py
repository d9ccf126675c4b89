"""Keeps a webhook subscription alive for every entity set sync reads, in every connected company:
creates the missing ones (including any the client system deleted or let expire), renews those
near expiry. Polling stays the fallback, so a failure here only costs freshness, and is retried."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, runtime_checkable

import httpx
import structlog
from pydantic import SecretStr

from services.sync.connectors.base import ClientSystemError, RemoteCompany, WebhookSubscription
from services.sync.coverage import WebhookCoverage
from services.sync.directory import CompanyDirectory
from services.sync.handlers import Clock, SyncContext

log = structlog.get_logger()
ENTITY_SETS = (
    "salesInvoices",
    "purchaseInvoices",
    "salesQuotes",
    "salesOrders",
    "salesCreditMemos",
    "generalLedgerEntries",
)
RETRY_SECONDS = 5.0
_RESOURCE = re.compile(r"companies\((?P<company>[0-9a-fA-F-]{36})\)/(?P<entity_set>\w+)/?$")


@runtime_checkable
class SubscriptionApi(Protocol):
    """A connector whose client system can notify us of changes."""

    async def subscriptions(self) -> list[WebhookSubscription]:
        """Our live subscriptions."""
        ...

    async def subscribe(
        self, company: RemoteCompany, entity_set: str, notification_url: str, client_state: str
    ) -> WebhookSubscription:
        """Create one (the client system checks the URL first)."""
        ...

    async def renew(self, subscription: WebhookSubscription, client_state: str) -> WebhookSubscription:
        """Extend one."""
        ...


@dataclass
class KeepOutcome:
    """What one pass did."""

    created: int = 0
    renewed: int = 0
    kept: int = 0
    failed: int = 0
    covered: set[str] = field(default_factory=set)
    """Companies with every entity set's subscription live after the pass."""
    created_for: set[str] = field(default_factory=set)
    """Companies with a subscription created in the pass (changes before it were never notified)."""
    failed_for: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class SubscriptionKeeper:
    """One connection's subscriptions, kept pointing at `notification_url`.

    At most `concurrency` of them are created or renewed at once, per connection: they share the
    environment's request slots and window with syncs (the connector's limiter), and a first pass of
    hundreds of companies must leave slots free for the webhook and refresh syncs meanwhile."""

    notification_url: str
    client_state: SecretStr
    renew_before: timedelta
    now: Clock
    concurrency: int = 2

    async def keep(self, api: SubscriptionApi, companies: Iterable[RemoteCompany]) -> KeepOutcome:
        """Create what is missing, renew what expires within `renew_before`, count the rest."""
        outcome = KeepOutcome()
        try:
            live = await api.subscriptions()
        except (ClientSystemError, httpx.HTTPError) as error:
            log.warning("webhook_subscriptions_unlisted", error=str(error))
            outcome.failed += 1
            return outcome
        ours = {
            (m["company"].lower(), m["entity_set"]): s
            for s in live
            if s.notification_url == self.notification_url and (m := _RESOURCE.search(s.resource))
        }
        gate = asyncio.Semaphore(self.concurrency)

        async def one(company: RemoteCompany, entity_set: str) -> None:
            async with gate:
                current = ours.get((company.id.lower(), entity_set))
                await self._keep_one(api, company, entity_set, current, outcome)

        async with asyncio.TaskGroup() as group:
            for company in companies:
                for entity_set in ENTITY_SETS:
                    group.create_task(one(company, entity_set))
        outcome.covered = {c.id for c in companies} - outcome.failed_for
        return outcome

    async def _keep_one(
        self,
        api: SubscriptionApi,
        company: RemoteCompany,
        entity_set: str,
        current: WebhookSubscription | None,
        outcome: KeepOutcome,
    ) -> None:
        secret = self.client_state.get_secret_value()
        try:
            if current is not None and current.expires_at - self.now() > self.renew_before:
                outcome.kept += 1
                return
            if current is not None:
                try:
                    await api.renew(current, secret)
                    outcome.renewed += 1
                    return
                except ClientSystemError as error:  # gone meanwhile (expired, deleted): subscribe anew
                    log.info("webhook_renewal_failed", subscription_id=current.id, error=str(error))
            await api.subscribe(company, entity_set, self.notification_url, secret)
            outcome.created += 1
            outcome.created_for.add(company.id)
        except (ClientSystemError, httpx.HTTPError) as error:
            log.warning(
                "webhook_subscription_failed", company_id=company.id, entity_set=entity_set, error=str(error)
            )
            outcome.failed += 1
            outcome.failed_for.add(company.id)


async def keep_all(
    keeper: SubscriptionKeeper,
    contexts: Sequence[SyncContext],
    directory: CompanyDirectory,
    coverage: WebhookCoverage | None = None,
) -> int:
    """One pass over every connection, all at once (each environment has its own limits); how many
    subscriptions (or connections) failed. `coverage` (with SYNC_TRUST_WEBHOOKS) learns which
    companies are notified."""
    kept = [(ctx, ctx.connector) for ctx in list(contexts) if isinstance(ctx.connector, SubscriptionApi)]
    return sum(
        await asyncio.gather(*(_keep_connection(keeper, ctx, api, directory, coverage) for ctx, api in kept))
    )


async def _keep_connection(
    keeper: SubscriptionKeeper,
    ctx: SyncContext,
    api: SubscriptionApi,
    directory: CompanyDirectory,
    coverage: WebhookCoverage | None,
) -> int:
    client_id = ctx.connection.client_id
    try:
        companies = list(directory.known(client_id).values())
        companies = companies or await ctx.connector.list_companies()
        outcome = await keeper.keep(api, companies)
    except (ClientSystemError, httpx.HTTPError) as error:
        log.warning("webhook_keeping_failed", client_id=client_id, error=str(error))
        if coverage is not None:
            coverage.lost(client_id)
        return 1
    if coverage is not None:
        coverage.kept(client_id, outcome.covered, outcome.created_for)
    if outcome.created or outcome.renewed or outcome.failed:
        counts = {"created": outcome.created, "renewed": outcome.renewed, "failed": outcome.failed}
        log.info("webhook_subscriptions_kept", client_id=client_id, kept=outcome.kept, **counts)
    return outcome.failed


async def keep_subscriptions_forever(
    keeper: SubscriptionKeeper,
    contexts: Sequence[SyncContext],
    directory: CompanyDirectory,
    coverage: WebhookCoverage | None,
    interval_seconds: float,
) -> None:
    """Keep every connection's subscriptions; after a failure, try again within RETRY_SECONDS."""
    while True:
        failed = await keep_all(keeper, contexts, directory, coverage)
        await asyncio.sleep(min(interval_seconds, RETRY_SECONDS) if failed else interval_seconds)
