"""Webhook subscriptions (`api/v2.0/subscriptions`): the entity, and the registry of live ones."""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar
from urllib.parse import urlsplit
from uuid import UUID

from .entities import ODataRow
from .gen_common import derived_uuid
from .odata import BcApiError, bad_request

_RESOURCE = re.compile(r"(?:^|/)api/v2\.0/companies\((?P<company>[0-9a-fA-F-]{36})\)/(?P<entity_set>\w+)/?$")


class Subscription(ODataRow):
    """A subscription as BC serializes it."""

    entity_type: ClassVar[str] = "subscription"
    watermark: ClassVar[str | None] = "last_modified_date_time"
    key_field: ClassVar[str] = "subscription_id"

    subscription_id: str
    notification_url: str
    resource: str
    timestamp: int
    user_id: UUID
    last_modified_date_time: datetime
    client_state: str
    expiration_date_time: datetime
    system_created_at: datetime
    system_created_by: UUID
    system_modified_at: datetime
    system_modified_by: UUID


@dataclass(frozen=True)
class Resource:
    """What a subscription watches: one entity set of one company."""

    company_id: UUID
    entity_set: str


@dataclass
class Registered:
    """A subscription with the tenant, environment and resource it belongs to."""

    subscription: Subscription
    tenant_id: UUID
    environment: str
    resource: Resource


def parse_resource(text: str, supported: frozenset[str]) -> Resource:
    """`/api/v2.0/companies({id})/customers`, relative or absolute; BC's 400 otherwise."""
    match = _RESOURCE.search(urlsplit(text).path or text)
    if match is None or match["entity_set"] not in supported:
        raise bad_request(f"The resource '{text}' does not support webhook subscriptions.")
    return Resource(UUID(match["company"]), match["entity_set"])


class SubscriptionRegistry:
    """Live subscriptions, by id and by the resource they watch; expired ones are dropped whenever the
    registry is listed, and never answered.

    Every change asks `watching` and every delivery asks `get`, so both are lookups: a scan of every
    subscription (6,000 at 1,000 companies) on each took most of the simulator's CPU."""

    def __init__(self, clock: Callable[[], datetime], ttl_seconds: int) -> None:
        self._clock, self._ttl = clock, timedelta(seconds=ttl_seconds)
        self._subscriptions: dict[str, Registered] = {}
        self._by_resource: defaultdict[Resource, dict[str, Registered]] = defaultdict(dict)

    def live(self) -> list[Registered]:
        """Every subscription that has not expired."""
        now = self._clock()
        expired = [
            key for key, r in self._subscriptions.items() if r.subscription.expiration_date_time <= now
        ]
        for key in expired:
            self.remove(key)
        return list(self._subscriptions.values())

    def of(self, tenant_id: UUID, environment: str) -> list[Registered]:
        """The live subscriptions of a tenant's environment."""
        return [r for r in self.live() if (r.tenant_id, r.environment) == (tenant_id, environment)]

    def find(self, tenant_id: UUID, environment: str, key: str) -> Registered:
        """One live subscription of the environment; BC's 404 otherwise."""
        found = self.get(key.strip("'"))
        if found is None or (found.tenant_id, found.environment) != (tenant_id, environment):
            raise BcApiError(404, "BadRequest_NotFound", f"The subscription '{key}' does not exist.")
        return found

    def watching(self, resource: Resource) -> list[Registered]:
        """The live subscriptions to a company's entity set."""
        now = self._clock()
        watchers = self._by_resource.get(resource, {})
        return [r for r in watchers.values() if r.subscription.expiration_date_time > now]

    def get(self, subscription_id: str) -> Registered | None:
        """A live subscription by id, if there is one."""
        found = self._subscriptions.get(subscription_id)
        if found is None or found.subscription.expiration_date_time <= self._clock():
            return None
        return found

    def new(
        self, tenant_id: UUID, environment: str, fields: dict[str, str], resource: Resource, client: str
    ) -> Registered:
        """A subscription that expires after the TTL (not yet registered)."""
        now, user = self._clock(), derived_uuid(tenant_id, "user", client)
        subscription = Subscription(
            subscription_id=secrets.token_hex(16),
            timestamp=int(now.timestamp() * 1000),
            user_id=user,
            last_modified_date_time=now,
            expiration_date_time=now + self._ttl,
            system_created_at=now,
            system_created_by=user,
            system_modified_at=now,
            system_modified_by=user,
            **fields,
        )
        return Registered(subscription, tenant_id, environment, resource)

    def renewed(self, registered: Registered, fields: dict[str, str], resource: Resource) -> Registered:
        """The subscription with changed fields, valid for another TTL from now."""
        now = self._clock()
        update = {
            "last_modified_date_time": now,
            "system_modified_at": now,
            "expiration_date_time": now + self._ttl,
        }
        changed = registered.subscription.model_copy(
            update=fields | update | {"timestamp": int(now.timestamp() * 1000)}
        )
        return Registered(changed, registered.tenant_id, registered.environment, resource)

    def put(self, registered: Registered) -> None:
        """Register (or replace) a subscription."""
        key = registered.subscription.subscription_id
        self.remove(key)
        self._subscriptions[key] = registered
        self._by_resource[registered.resource][key] = registered

    def remove(self, subscription_id: str) -> bool:
        """Delete a subscription; whether it existed."""
        gone = self._subscriptions.pop(subscription_id, None)
        if gone is None:
            return False
        watchers = self._by_resource[gone.resource]
        watchers.pop(subscription_id, None)
        if not watchers:
            del self._by_resource[gone.resource]
        return True
