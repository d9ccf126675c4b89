"""Reading the stand-in's books the way a BC API client would (for tests, benchmarks, the demo)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from .settings import SimulatorSettings

SCOPE = "https://api.businesscentral.dynamics.com/.default"


async def access_token(
    http: httpx.AsyncClient, token_url: str, settings: SimulatorSettings | None = None
) -> str:
    """A bearer token from the stand-in's OAuth 2.0 client-credentials endpoint."""
    settings = settings or SimulatorSettings()
    answer = await http.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
            "scope": SCOPE,
        },
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


async def read_sales_invoices(
    company: dict[str, Any], settings: SimulatorSettings | None = None
) -> list[Any]:
    """Every sales invoice of a company listed by `GET /_simulator/companies`, amounts as Decimal."""
    return await read_entity_set(company, "salesInvoices", settings)


async def read_entity_set(
    company: dict[str, Any], entity_set: str, settings: SimulatorSettings | None = None
) -> list[Any]:
    """Every row of one of a company's entity sets (e.g. `generalLedgerEntries`,
    `agedAccountsPayables`), following `@odata.nextLink`; amounts as Decimal."""
    async with httpx.AsyncClient(timeout=10) as http:
        headers = {"Authorization": f"Bearer {await access_token(http, company['tokenUrl'], settings)}"}
        rows: list[Any] = []
        url: str | None = f"{company['apiUrl']}/{entity_set}"
        while url is not None:
            page = await http.get(url, headers=headers)
            page.raise_for_status()
            body = json.loads(page.text, parse_float=Decimal)
            rows += body["value"]
            url = body.get("@odata.nextLink")
    return rows
