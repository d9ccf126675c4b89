"""Webhook notifications: changes batched per notification URL, delivered after a delay, retried.

As BC does: the first change to a subscribed resource starts a `notification_delay_seconds`
timer; everything that changed meanwhile goes out in one POST per notification URL, one notice
per changed entity, or a single `collection` notice for a subscription with more than
`notification_collection_threshold` changes. 408/429/5xx (and unreachable receivers) are retried
with a doubling backoff for `notification_retry_limit_seconds`; any other error status deletes
the subscriptions of that POST.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from .entities import format_datetime
from .settings import SimulatorSettings
from .store import Change, ChangeType
from .subscriptions import Registered, Resource, SubscriptionRegistry

_now = time.monotonic  # the event loop's clock too: batching and retries run in real time


@dataclass
class _Batch:
    due: float
    changes: dict[str, dict[str, tuple[ChangeType, datetime]]] = field(default_factory=dict)

    def add(self, subscription_id: str, change: Change) -> None:
        entities = self.changes.setdefault(subscription_id, {})
        before = entities.get(change.key)
        kind = change.change_type
        if before is not None and kind != "deleted":
            kind = "created" if before[0] == "created" else "updated"
        entities[change.key] = (kind, change.at)


@dataclass
class _Delivery:
    url: str
    notices: list[dict[str, Any]]
    subscription_ids: set[str]
    due: float
    first_tried: float | None = None
    attempts: int = 0


@dataclass
class NotifierStats:
    """Deliveries since start."""

    posts_delivered: int = 0
    notices_delivered: int = 0
    failed_attempts: int = 0
    subscriptions_deleted: int = 0


class Notifier:
    """Collects changes of subscribed resources and delivers them; `run` is the background task."""

    def __init__(
        self, settings: SimulatorSettings, registry: SubscriptionRegistry, http: WebhookHttp
    ) -> None:
        self._settings, self._registry, self._http = settings, registry, http
        self._batches: dict[str, _Batch] = {}
        self._deliveries: list[_Delivery] = []
        self._sending: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.stats = NotifierStats()

    def on_change(self, change: Change) -> None:
        """The store's listener: remember the change for every subscription watching it."""
        for registered in self._registry.watching(Resource(change.company_id, change.entity_set)):
            url = registered.subscription.notification_url
            batch = self._batches.setdefault(url, _Batch(_now() + self._settings.notification_delay_seconds))
            batch.add(registered.subscription.subscription_id, change)
            self._wake.set()

    async def run(self) -> None:
        """Deliver due batches and retries until cancelled (then stop sending)."""
        try:
            while True:
                self._wake.clear()
                due = min(
                    [b.due for b in self._batches.values()] + [d.due for d in self._deliveries], default=None
                )
                if due is None or due > _now():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), None if due is None else due - _now())
                self.deliver_due()
        finally:
            for task in list(self._sending):
                task.cancel()

    def deliver_due(self) -> None:
        """Start sending every batch and retry whose time has come, each on its own (a slow
        receiver holds up nobody else)."""
        now = _now()
        for url in [url for url, batch in self._batches.items() if batch.due <= now]:
            delivery = self._delivery(url, self._batches.pop(url), now)
            if delivery.notices:
                self._deliveries.append(delivery)
        due = [delivery for delivery in self._deliveries if delivery.due <= now]
        self._deliveries = [delivery for delivery in self._deliveries if delivery not in due]
        for delivery in due:
            task = asyncio.get_running_loop().create_task(self._send(delivery))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    def _delivery(self, url: str, batch: _Batch, now: float) -> _Delivery:
        notices, ids = [], set()
        for subscription_id, entities in batch.changes.items():
            registered = self._registry.get(subscription_id)
            if registered is not None:  # deleted or expired meanwhile: nothing to send
                notices += self._notices(registered, entities)
                ids.add(subscription_id)
        return _Delivery(url, notices, ids, now)

    def _notices(
        self, registered: Registered, entities: dict[str, tuple[ChangeType, datetime]]
    ) -> list[dict[str, Any]]:
        subscription, resource = registered.subscription, registered.resource
        base = f"api/v2.0/companies({resource.company_id})/{resource.entity_set}"
        common = {
            "subscriptionId": subscription.subscription_id,
            "clientState": subscription.client_state,
            "expirationDateTime": format_datetime(subscription.expiration_date_time),
        }
        if len(entities) > self._settings.notification_collection_threshold:
            since = min(at for _, at in entities.values()) - timedelta(milliseconds=1)
            latest = max(at for _, at in entities.values())
            filtered = f"{base}?$filter=lastModifiedDateTime%20gt%20{format_datetime(since)}"
            return [
                common
                | {
                    "resource": filtered,
                    "changeType": "collection",
                    "lastModifiedDateTime": format_datetime(latest),
                }
            ]
        return [
            common
            | {"resource": f"{base}({key})", "changeType": kind, "lastModifiedDateTime": format_datetime(at)}
            for key, (kind, at) in sorted(entities.items(), key=lambda item: item[1][1])
        ]

    async def _send(self, delivery: _Delivery) -> None:
        delivery.first_tried = delivery.first_tried or _now()
        delivery.attempts += 1
        status = await self._http.post_json(delivery.url, {"value": delivery.notices})
        if status is not None and 200 <= status < 300:
            self.stats.posts_delivered += 1
            self.stats.notices_delivered += len(delivery.notices)
            return
        self.stats.failed_attempts += 1
        if status is None or status in (408, 429) or status >= 500:
            self._retry(delivery)
            return
        for subscription_id in delivery.subscription_ids:
            self.stats.subscriptions_deleted += self._registry.remove(subscription_id)

    def _retry(self, delivery: _Delivery) -> None:
        backoff = self._settings.notification_retry_seconds * 2 ** (delivery.attempts - 1)
        give_up_at = (delivery.first_tried or _now()) + self._settings.notification_retry_limit_seconds
        if _now() + backoff <= give_up_at:
            delivery.due = _now() + backoff
            self._deliveries.append(delivery)
            self._wake.set()


class WebhookHttp:
    """Outgoing HTTP of webhooks (handshakes and notifications) with httpx; one shared client."""

    def __init__(
        self, settings: SimulatorSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._timeout, self._transport = settings.webhook_timeout_seconds, transport
        self._client: httpx.AsyncClient | None = None

    async def post_json(self, url: str, body: dict[str, Any]) -> int | None:
        """POST the JSON body; the status, or None when the receiver could not be reached."""
        try:
            response = await self.client().post(
                url, content=json.dumps(body), headers={"Content-Type": "application/json"}
            )
        except httpx.HTTPError:
            return None
        return response.status_code

    async def handshake(self, url: str, token: str) -> bool:
        """BC's validation: POST `?validationToken=...`, expect 200 with the token as the body."""
        try:
            response = await self.client().post(url, params={"validationToken": token})
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and response.text.strip().strip('"') == token

    def client(self) -> httpx.AsyncClient:
        """The shared client, created on first use."""
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport, timeout=self._timeout)
        return self._client

    async def aclose(self) -> None:
        """Close the shared client (app shutdown)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


@dataclass
class Webhooks:
    """Everything webhooks need: the registry, the dispatcher and the outgoing HTTP client."""

    registry: SubscriptionRegistry
    notifier: Notifier
    http: WebhookHttp
