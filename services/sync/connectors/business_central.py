"""The Business Central API v2.0 connector: reads one client environment through BusinessCentralClient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from services.sync.connectors import bc_mapping, bc_tasks
from services.sync.connectors.base import ChangedRecord, Feed, RemoteCompany, WebhookSubscription
from services.sync.connectors.bc_client import BusinessCentralClient
from services.sync.settings import ClientConnection
from shared.records import AgedBalance, ClientUserTask, LedgerAccount, LedgerEntry


class BusinessCentralConnector:
    """Reads one client's Business Central environment."""

    def __init__(self, client: BusinessCentralClient, connection: ClientConnection) -> None:
        self._client = client
        self._connection = connection

    async def list_companies(self) -> list[RemoteCompany]:
        """Every company in the client's environment."""
        companies: list[RemoteCompany] = []
        async for page in self._client.pages(f"{self._client.api_root}/companies"):
            companies += [self._company(entity) for entity in page]
        return companies

    async def records_changed_since(
        self, company: RemoteCompany, feed: Feed, since: datetime | None
    ) -> AsyncIterator[list[ChangedRecord]]:
        """Pages of a feed's records modified at or after `since` (all when None)."""
        async for page in self._client.pages(self._url(company, feed), _since(since)):
            yield [_record(company, feed, entity) for entity in page]

    async def record_ids(self, company: RemoteCompany, feed: Feed) -> set[str]:
        """The id of every record of a feed now: one cheap full pull (`$select=id`)."""
        pages = self._client.pages(self._url(company, feed), {"$select": "id"})
        return {str(entity["id"]) async for page in pages for entity in page}

    async def accounts(self, company: RemoteCompany) -> list[LedgerAccount]:
        """Every G/L account with its balance."""
        return [bc_mapping.ledger_account(company, e) async for e in self._all(company, "accounts")]

    async def aged_payables(self, company: RemoteCompany) -> list[AgedBalance]:
        """The aged payables report as of today, one line per vendor."""
        return [bc_mapping.aged_balance(company, e) async for e in self._all(company, "agedAccountsPayables")]

    async def aged_receivables(self, company: RemoteCompany) -> list[AgedBalance]:
        """The aged receivables report as of today, one line per customer."""
        return [
            bc_mapping.aged_balance(company, e) async for e in self._all(company, "agedAccountsReceivables")
        ]

    async def ledger_entries_since(
        self, company: RemoteCompany, since: datetime | None
    ) -> AsyncIterator[list[LedgerEntry]]:
        """Pages of G/L entries modified at or after `since` (all when None), oldest first."""
        async for page in self._client.pages(self._url(company, "generalLedgerEntries"), _since(since)):
            yield [bc_mapping.ledger_entry(entity) for entity in page]

    async def _all(self, company: RemoteCompany, entity_set: str) -> AsyncIterator[dict[str, Any]]:
        async for page in self._client.pages(self._url(company, entity_set)):
            for entity in page:
                yield entity

    def _url(self, company: RemoteCompany, entity_set: str) -> str:
        return f"{self._client.api_root}/companies({company.id})/{entity_set}"

    def _company(self, entity: dict[str, Any]) -> RemoteCompany:
        c = self._connection
        company_id = str(entity["id"])
        link = f"{c.web_client_url}/{c.tenant}/{c.environment}/?{urlencode({'company': entity['name']})}"
        return RemoteCompany(
            id=company_id,
            name=str(entity.get("displayName") or entity["name"]),
            web_url=link,
            currency=c.company_currencies.get(company_id, c.local_currency),
            system_name=str(entity["name"]),
        )

    async def user_tasks(self, company: RemoteCompany) -> list[ClientUserTask]:
        """Every pending user task (`AccountantPortalUserTasks`; completed ones are not listed)."""
        c = self._connection
        zone = c.company_time_zones.get(company.id, c.time_zone)
        emails = {user.lower(): email for user, email in c.task_user_emails.items()}
        url = f"{self._odata(company)}/{bc_tasks.PORTAL_TASKS}"
        return [
            bc_tasks.client_user_task(e, emails, zone) async for page in self._client.pages(url) for e in page
        ]

    async def complete_user_task(self, company: RemoteCompany, remote_id: str) -> None:
        """BC's `SetComplete` action on the task; ClientSystemError says why it could not."""
        await self._client.post(f"{self._odata(company)}/{bc_tasks.set_complete_path(remote_id)}")

    async def subscriptions(self) -> list[WebhookSubscription]:
        """The environment's live webhook subscriptions (BC lists only the caller's)."""
        url = f"{self._client.api_root}/subscriptions"
        return [_subscription(e) async for page in self._client.pages(url) for e in page]

    async def subscribe(
        self, company: RemoteCompany, entity_set: str, notification_url: str, client_state: str
    ) -> WebhookSubscription:
        """Create a subscription (BC first checks the notification URL with a validation token)."""
        body = {
            "notificationUrl": notification_url,
            "resource": f"api/v2.0/companies({company.id})/{entity_set}",
            "clientState": client_state,
        }
        return _subscription(
            await self._client.send_json("POST", f"{self._client.api_root}/subscriptions", body)
        )

    async def renew(self, subscription: WebhookSubscription, client_state: str) -> WebhookSubscription:
        """Renew for BC's three days (PATCH with If-Match; BC repeats the handshake)."""
        url = f"{self._client.api_root}/subscriptions('{subscription.id}')"
        body = {"notificationUrl": subscription.notification_url, "clientState": client_state}
        return _subscription(
            await self._client.send_json("PATCH", url, body, {"If-Match": subscription.etag})
        )

    def _odata(self, company: RemoteCompany) -> str:
        c = self._connection
        return bc_tasks.odata_root(
            c.api_base_url, c.tenant, c.environment, company.system_name or company.name
        )


def _record(company: RemoteCompany, feed: Feed, entity: dict[str, Any]) -> ChangedRecord:
    if feed == "salesInvoices":
        return bc_mapping.sales_invoice(company, entity)
    if feed == "purchaseInvoices":
        return bc_mapping.purchase_invoice(company, entity)
    return bc_mapping.sales_document(company, feed, entity)


def _since(since: datetime | None) -> dict[str, str]:
    if since is None:
        return {}
    moment = since.astimezone(UTC)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return {"$filter": f"lastModifiedDateTime ge {stamp}"}


def _subscription(entity: dict[str, Any]) -> WebhookSubscription:
    return WebhookSubscription(
        id=str(entity["subscriptionId"]),
        resource=str(entity["resource"]),
        notification_url=str(entity["notificationUrl"]),
        expires_at=datetime.fromisoformat(str(entity["expirationDateTime"])),
        etag=str(entity.get("@odata.etag", "*")),
    )
