"""HTTP to Business Central API v2.0: client-credentials tokens, OData paging, 429 backoff.

Amounts are parsed straight from the JSON text into Decimal, never via float.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import httpx

from services.sync.connectors.base import ClientSystemError
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.settings import ClientConnection

SCOPE = "https://api.businesscentral.dynamics.com/.default"
_CORRELATION_ID = re.compile(r"\s*CorrelationId:\s*[0-9a-fA-F-]{36}\.?")
RETRYABLE = {408, 429, 502, 503, 504}
MAX_ATTEMPTS = 6


class BusinessCentralClient:
    """Authenticated, budget-aware GETs against one client environment."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        connection: ClientConnection,
        concurrency: int,
        budget: SlidingWindowBudget,
        on_response: Callable[[int], None] = lambda _status: None,
    ) -> None:
        self._http = http
        self._connection = connection
        self._slots = asyncio.Semaphore(concurrency)
        self._budget = budget
        self._on_response = on_response
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    @property
    def api_root(self) -> str:
        """`.../v2.0/{tenant}/{environment}/api/v2.0`."""
        c = self._connection
        return f"{c.api_base_url}/v2.0/{c.tenant}/{c.environment}/api/v2.0"

    async def pages(
        self, url: str, params: dict[str, str] | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of an OData collection, following `@odata.nextLink` until it is absent."""
        next_url: str | None = url
        while next_url is not None:
            body = await self.get_json(next_url, params if next_url == url else None)
            yield list(body.get("value", []))
            next_url = body.get("@odata.nextLink")

    async def get_json(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """GET with a bearer token; retries throttling and outages with backoff, then gives up clearly."""
        return _json_object(await self._send("GET", url, params))

    async def post(self, url: str) -> None:
        """POST an OData action (no body); the same retries and errors as a GET."""
        await self._send("POST", url, None)

    async def send_json(
        self, method: str, url: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """POST/PATCH a JSON body (webhook subscriptions); the same retries and errors as a GET."""
        return _json_object(await self._send(method, url, None, body, headers))

    async def _send(
        self,
        method: str,
        url: str,
        params: dict[str, str] | None,
        body: dict[str, Any] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        renewed_token = False
        for attempt in range(MAX_ATTEMPTS):
            headers = await self._auth() | (extra_headers or {})
            try:
                response = await self._request(method, url, params, headers, body)
            except httpx.TransportError:
                if attempt == MAX_ATTEMPTS - 1:
                    raise  # the caller reports "did not answer" and the next pass tries again
                await asyncio.sleep(_exponential(attempt))
                continue
            self._on_response(response.status_code)
            if response.status_code == 401 and not renewed_token:
                self._token = None  # expired early or revoked: fetch a new one, once per call
                renewed_token = True
                continue
            if response.status_code in RETRYABLE and attempt < MAX_ATTEMPTS - 1:
                await asyncio.sleep(_backoff(response, attempt))
                continue
            if response.is_error:
                raise ClientSystemError(_describe(response))
            return response
        raise ClientSystemError(f"gave up after {MAX_ATTEMPTS} attempts: {url}")

    async def _request(
        self,
        method: str,
        url: str,
        params: dict[str, str] | None,
        headers: dict[str, str],
        body: dict[str, Any] | None,
    ) -> httpx.Response:
        # A slot first: a request waiting for one must not hold a place in the window meanwhile.
        async with self._slots, self._budget.request():
            return await self._http.request(method, url, params=params, headers=headers, json=body)

    async def _auth(self) -> dict[str, str]:
        async with self._token_lock:
            if self._token is None or time.monotonic() >= self._token_expires:
                await self._fetch_token()
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    async def _fetch_token(self) -> None:
        c = self._connection
        response = await self._http.post(
            f"{c.login_base_url}/{c.tenant}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": c.oauth_client_id,
                "client_secret": c.oauth_client_secret.get_secret_value(),
                "scope": SCOPE,
            },
        )
        if response.is_error:
            raise ClientSystemError(f"sign-in to the client's system failed: {_describe(response)}")
        token = response.json()
        self._token = str(token["access_token"])
        self._token_expires = time.monotonic() + max(int(token.get("expires_in", 300)) - 60, 1)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object (amounts as Decimal); anything else is the client system's failure."""
    try:
        parsed = json.loads(response.text, parse_float=Decimal)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        kind = response.headers.get("content-type", "no content type")
        raise ClientSystemError(
            f"HTTP {response.status_code} from the client's system was not a JSON object ({kind}); will retry"
        )
    return parsed


def _backoff(response: httpx.Response, attempt: int) -> float:
    """Retry-After when the server sends it; otherwise exponential (BC may omit it on 429)."""
    retry_after = response.headers.get("Retry-After")
    if retry_after is not None and retry_after.replace(".", "", 1).isdigit():
        return min(float(retry_after), 60.0)
    return _exponential(attempt)


def _exponential(attempt: int) -> float:
    """0.25 s doubling per attempt, capped at 8 s, with up to 20% jitter so that retries spread out."""
    return float(min(0.25 * 2**attempt, 8.0)) * (1 + random.random() / 5)  # noqa: S311 - not cryptographic


def _describe(response: httpx.Response) -> str:
    """HTTP status plus BC's own error code and message, for the dashboard row.

    BC ends messages with a per-response `CorrelationId: <uuid>`; it is dropped so that the same
    failure reads the same on every pass (and is not re-announced each time).
    """
    try:
        error = response.json().get("error", {})
        message = _CORRELATION_ID.sub("", str(error.get("message", ""))).strip()
        detail = f"{error.get('code', '')}: {message}".strip(": ")
    except (ValueError, AttributeError):
        detail = response.reason_phrase
    return f"HTTP {response.status_code} from the client's system ({detail or 'no detail'})"
