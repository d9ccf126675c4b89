"""HTTP to Business Central API v2.0: client-credentials tokens, OData paging, 429 backoff, retries.

Amounts are parsed straight from the JSON text into Decimal, never via float (bc_answers).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import httpx

from services.sync.connectors.base import ClientSystemError
from services.sync.connectors.bc_answers import UnusableAnswerError, describe, incomplete_read, json_object
from services.sync.connectors.budget import SlidingWindowBudget
from services.sync.settings import ClientConnection

SCOPE = "https://api.businesscentral.dynamics.com/.default"
RETRYABLE = {408, 429, 502, 503, 504}
MAX_ATTEMPTS = 6
T = TypeVar("T")


class BusinessCentralClient:
    """Authenticated, budget-aware GETs against one client environment."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        connection: ClientConnection,
        concurrency: int,
        budget: SlidingWindowBudget,
        on_response: Callable[[int, float, float], None] = lambda _status, _queued, _answered: None,
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
        """GET with a bearer token; retries throttling, outages and unusable answers (cut off, not JSON)
        with backoff, then gives up clearly."""
        return await self._send("GET", url, params, json_object)

    async def post(self, url: str) -> None:
        """POST an OData action (no body); the same retries and errors as a GET."""
        await self._send("POST", url, None, _no_body)

    async def send_json(
        self, method: str, url: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """POST/PATCH a JSON body (webhook subscriptions); the same retries and errors as a GET."""
        return await self._send(method, url, None, json_object, body, headers)

    async def _send(
        self,
        method: str,
        url: str,
        params: dict[str, str] | None,
        read: Callable[[httpx.Response], T],
        body: dict[str, Any] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> T:
        """The answer as `read` takes it; anything passing (throttling, 5xx, no answer, an answer cut off
        or not JSON) is asked again with capped backoff, and nothing of an unusable answer is kept."""
        renewed_token = False
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            headers = await self._auth() | (extra_headers or {})
            try:
                response = await self._request(method, url, params, headers, body)
                if response.status_code == 401 and not renewed_token:
                    self._token = None  # expired early or revoked: fetch a new one, once per call
                    renewed_token = True
                    continue
                if response.status_code in RETRYABLE and not last:
                    await asyncio.sleep(_backoff(response, attempt))
                    continue
                if response.is_error:
                    raise ClientSystemError(describe(response))
                return read(response)
            except (UnusableAnswerError, httpx.TransportError) as error:
                if last or not _may_ask_again(method, error):
                    raise  # the caller reports it on the company's row; the next pass tries again
            await asyncio.sleep(_exponential(attempt))
        raise ClientSystemError(f"gave up after {MAX_ATTEMPTS} attempts: {url}")

    async def _request(
        self,
        method: str,
        url: str,
        params: dict[str, str] | None,
        headers: dict[str, str],
        body: dict[str, Any] | None,
    ) -> httpx.Response:
        """The whole answer, or UnusableAnswerError when its body stops part-way (a cut connection)."""
        request = self._http.build_request(method, url, params=params, headers=headers, json=body)
        asked = time.monotonic()
        # A slot first: a request waiting for one must not hold a place in the window meanwhile.
        async with self._slots, self._budget.request():
            sent = time.monotonic()
            response = await self._http.send(request, stream=True)
            try:
                await response.aread()
            except (httpx.TransportError, httpx.DecodingError) as error:
                raise incomplete_read(response, error) from error
            finally:
                await response.aclose()
        self._on_response(response.status_code, sent - asked, time.monotonic() - sent)
        return response

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
            raise ClientSystemError(f"sign-in to the client's system failed: {describe(response)}")
        token = response.json()
        self._token = str(token["access_token"])
        self._token_expires = time.monotonic() + max(int(token.get("expires_in", 300)) - 60, 1)


def _backoff(response: httpx.Response, attempt: int) -> float:
    """Retry-After when the server sends it; otherwise exponential (BC may omit it on 429)."""
    retry_after = response.headers.get("Retry-After")
    if retry_after is not None and retry_after.replace(".", "", 1).isdigit():
        return min(float(retry_after), 60.0)
    return _exponential(attempt)


def _exponential(attempt: int) -> float:
    """0.25 s doubling per attempt, capped at 8 s, with up to 20% jitter so that retries spread out."""
    return float(min(0.25 * 2**attempt, 8.0)) * (1 + random.random() / 5)  # noqa: S311 - not cryptographic


def _may_ask_again(method: str, error: Exception) -> bool:
    """An answer that came, even cut off, means the server acted on the request: only a GET may be
    sent again then (a second POST of a subscription would make a second subscription)."""
    return method == "GET" or not isinstance(error, UnusableAnswerError)


def _no_body(_response: httpx.Response) -> None:
    """An answer whose body is not needed (204 No Content)."""
