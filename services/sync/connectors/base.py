"""What the sync service needs from any client accounting system."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from shared.records import (
    AgedBalance,
    ClientUserTask,
    LedgerAccount,
    LedgerEntry,
    PurchaseInvoice,
    SalesDocument,
    SalesInvoice,
)

Feed = Literal["salesInvoices", "purchaseInvoices", "salesQuotes", "salesOrders", "salesCreditMemos"]
FEEDS: tuple[Feed, ...] = (
    "salesInvoices",
    "purchaseInvoices",
    "salesQuotes",
    "salesOrders",
    "salesCreditMemos",
)
ChangedRecord = SalesInvoice | PurchaseInvoice | SalesDocument


@dataclass(frozen=True)
class RemoteCompany:
    """A company as listed by the client's system."""

    id: str
    name: str
    web_url: str
    currency: str = "USD"
    system_name: str = ""
    """The company's `name` in the client's system (ODataV4 pages address companies by it)."""


@dataclass(frozen=True)
class WebhookSubscription:
    """A change-notification subscription as the client's system holds it."""

    id: str
    resource: str
    notification_url: str
    expires_at: datetime
    etag: str


class ClientSystemError(Exception):
    """The client's system refused or failed a request; the message is shown on the row."""


class Connector(Protocol):
    """Reads one client's books."""

    async def list_companies(self) -> list[RemoteCompany]:
        """Every company in the client's environment."""
        ...

    def records_changed_since(
        self, company: RemoteCompany, feed: Feed, since: datetime | None
    ) -> AsyncIterator[list[ChangedRecord]]:
        """Pages of a feed's records modified at or after `since` (all when None)."""
        ...

    async def record_ids(self, company: RemoteCompany, feed: Feed) -> set[str]:
        """The id of every record the feed holds now (a full pass: an id missing was deleted)."""
        ...

    async def accounts(self, company: RemoteCompany) -> list[LedgerAccount]:
        """Every G/L account with its balance."""
        ...

    async def aged_payables(self, company: RemoteCompany) -> list[AgedBalance]:
        """The aged payables report as of today, one line per vendor."""
        ...

    async def aged_receivables(self, company: RemoteCompany) -> list[AgedBalance]:
        """The aged receivables report as of today, one line per customer."""
        ...

    def ledger_entries_since(
        self, company: RemoteCompany, since: datetime | None
    ) -> AsyncIterator[list[LedgerEntry]]:
        """Pages of G/L entries modified at or after `since` (all when None)."""
        ...

    async def user_tasks(self, company: RemoteCompany) -> list[ClientUserTask]:
        """Every pending user task (completed ones are not listed)."""
        ...

    async def complete_user_task(self, company: RemoteCompany, remote_id: str) -> None:
        """Complete a user task in the client's system; ClientSystemError says why it could not."""
        ...
