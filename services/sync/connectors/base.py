"""What the sync service needs from any client accounting system."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.records import SalesInvoice


@dataclass(frozen=True)
class RemoteCompany:
    """A company as listed by the client's system."""

    id: str
    name: str
    web_url: str


class ClientSystemError(Exception):
    """The client's system refused or failed a request; the message is shown on the row."""


class Connector(Protocol):
    """Reads one client's books."""

    async def list_companies(self) -> list[RemoteCompany]:
        """Every company in the client's environment."""
        ...

    def sales_invoices_changed_since(
        self, company: RemoteCompany, since: datetime | None
    ) -> AsyncIterator[list[SalesInvoice]]:
        """Pages of sales invoices modified at or after `since` (all when None)."""
        ...
