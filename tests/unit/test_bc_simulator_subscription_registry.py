"""The simulator's subscription registry answers by id and by resource, never with an expired, removed
or moved subscription, and never across tenants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from deploy.local.bc_simulator.odata import BcApiError
from deploy.local.bc_simulator.subscriptions import Registered, Resource, SubscriptionRegistry

TENANT, OTHER_TENANT = uuid4(), uuid4()
COMPANY = uuid4()
INVOICES, VENDORS = Resource(COMPANY, "purchaseInvoices"), Resource(COMPANY, "vendors")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def subscribe(registry: SubscriptionRegistry, resource: Resource, tenant: UUID = TENANT) -> Registered:
    fields = {"notification_url": "https://hub.example/hook", "resource": "r", "client_state": "s"}
    registered = registry.new(tenant, "production", fields, resource, "client")
    registry.put(registered)
    return registered


def ids(found: list[Registered]) -> set[str]:
    return {r.subscription.subscription_id for r in found}


def test_watching_names_only_the_live_subscriptions_of_that_resource() -> None:
    clock = Clock()
    registry = SubscriptionRegistry(clock, ttl_seconds=3600)
    first, second = subscribe(registry, INVOICES), subscribe(registry, INVOICES)
    subscribe(registry, VENDORS)

    assert ids(registry.watching(INVOICES)) == ids([first, second])
    assert registry.watching(Resource(uuid4(), "purchaseInvoices")) == []
    clock.now += timedelta(hours=1)
    assert registry.watching(INVOICES) == []
    assert registry.get(first.subscription.subscription_id) is None
    assert registry.live() == []


def test_a_renewal_to_another_resource_moves_the_subscription_and_a_removal_forgets_it() -> None:
    registry = SubscriptionRegistry(Clock(), ttl_seconds=3600)
    registered = subscribe(registry, INVOICES)
    key = registered.subscription.subscription_id

    registry.put(registry.renewed(registered, {}, VENDORS))
    assert registry.watching(INVOICES) == []
    assert ids(registry.watching(VENDORS)) == {key}

    assert registry.remove(key) is True
    assert registry.remove(key) is False
    assert (registry.watching(VENDORS), registry.get(key), registry.live()) == ([], None, [])


def test_find_answers_a_subscription_only_to_its_own_tenant() -> None:
    registry = SubscriptionRegistry(Clock(), ttl_seconds=3600)
    key = subscribe(registry, INVOICES).subscription.subscription_id

    assert registry.find(TENANT, "production", f"'{key}'").subscription.subscription_id == key
    with pytest.raises(BcApiError) as refused:
        registry.find(OTHER_TENANT, "production", key)
    assert refused.value.status_code == 404
