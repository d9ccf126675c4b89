"""The Business Central API v2.0 connector: entities in BC's shapes -> the hub's typed records.

Quirks are normalised here, once: `_x0020_` and stray spaces in enums, `0001-01-01` as
"unset", blank currency meaning the company's local currency, unknown fields ignored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from services.sync.connectors.base import RemoteCompany
from services.sync.connectors.bc_client import BusinessCentralClient
from services.sync.settings import ClientConnection
from shared.records import SalesInvoice, SalesInvoiceStatus

UNSET_DATE = "0001-01-01"
POSTED_SALES_INVOICE_PAGE = 132
SALES_INVOICE_PAGE = 43


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

    async def sales_invoices_changed_since(
        self, company: RemoteCompany, since: datetime | None
    ) -> AsyncIterator[list[SalesInvoice]]:
        """Pages of sales invoices modified at or after `since` (all when None)."""
        params: dict[str, str] = {}
        if since is not None:
            params["$filter"] = f"lastModifiedDateTime ge {_odata_datetime(since)}"
        url = f"{self._client.api_root}/companies({company.id})/salesInvoices"
        async for page in self._client.pages(url, params):
            yield [self._sales_invoice(company, entity) for entity in page]

    def _company(self, entity: dict[str, Any]) -> RemoteCompany:
        name = str(entity.get("displayName") or entity["name"])
        c = self._connection
        link = f"{c.web_client_url}/{c.tenant}/{c.environment}/?{urlencode({'company': entity['name']})}"
        return RemoteCompany(id=str(entity["id"]), name=name, web_url=link)

    def _sales_invoice(self, company: RemoteCompany, e: dict[str, Any]) -> SalesInvoice:
        status = normalise_enum(e.get("status"))
        number = str(e.get("number", ""))
        return SalesInvoice(
            id=str(e["id"]),
            number=number,
            customer_number=str(e.get("customerNumber", "")),
            due_date=parse_date(e.get("dueDate")),
            status=SalesInvoiceStatus(status) if status in _STATUSES else SalesInvoiceStatus.UNSET,
            currency=str(e.get("currencyCode") or self._connection.local_currency).upper(),
            total_amount=Decimal(e.get("totalAmountIncludingTax", 0)),
            remaining_amount=Decimal(e.get("remainingAmount", 0)),
            last_modified_at=datetime.fromisoformat(str(e["lastModifiedDateTime"])),
            web_url=self._record_link(company, status, number),
        )

    def _record_link(self, company: RemoteCompany, status: str, number: str) -> str:
        page = SALES_INVOICE_PAGE if status in {"Draft", "In Review", " "} else POSTED_SALES_INVOICE_PAGE
        record_filter = quote(f"'No.' IS '{number}'")
        return f"{company.web_url}&page={page}&filter={record_filter}"


_STATUSES = {s.value for s in SalesInvoiceStatus}


def normalise_enum(value: object) -> str:
    """BC enum text with `_x0020_` decoded and edges trimmed; unset (blank) becomes a single space."""
    text = str(value or "").replace("_x0020_", " ").strip()
    return text or " "


def parse_date(value: object) -> date | None:
    """A BC date, with `0001-01-01` (BC's "unset") and blanks as None."""
    text = str(value or "")
    if not text or text.startswith(UNSET_DATE):
        return None
    return date.fromisoformat(text[:10])


def _odata_datetime(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
