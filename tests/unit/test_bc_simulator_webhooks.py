"""Webhook subscriptions behave as BC documents them: handshake, batching, collection, retries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from deploy.local.bc_simulator import SimulatorSettings
from tests.bc_simulator_support import Bc, api_root, simulator
from tests.waiting import eventually

HOOK = "https://hub.example/bc-webhook"
FAST = {"notification_delay_seconds": 0.05, "notification_retry_seconds": 0.05}


class Receiver:
    """The hub's notification endpoint: echoes validation tokens, answers notifications as told."""

    def __init__(self, *answers: int, echo: bool = True) -> None:
        self.answers, self.echo = list(answers), echo
        self.handshakes: list[str] = []
        self.posts: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("validationToken")
        if token is not None:
            self.handshakes.append(token)
            return httpx.Response(200, text=token if self.echo else "no")
        self.posts.append(json.loads(request.content))
        return httpx.Response(self.answers.pop(0) if self.answers else 202)

    def notices(self) -> list[dict[str, Any]]:
        return [notice for post in self.posts for notice in post["value"]]


@asynccontextmanager
async def hooked(
    receiver: Receiver, **settings: Any
) -> AsyncIterator[tuple[Bc, dict[str, Any], dict[str, str]]]:
    transport = httpx.MockTransport(receiver)
    async with simulator(SimulatorSettings(**(FAST | settings)), lifespan=True, transport=transport) as bc:
        info = (await bc.companies())[0]
        yield bc, info, await bc.headers(info)


async def subscribe(bc: Bc, info: dict[str, Any], headers: dict[str, str], entity_set: str) -> httpx.Response:
    body = {
        "notificationUrl": HOOK,
        "resource": f"/api/v2.0/companies({info['companyId']})/{entity_set}",
        "clientState": "shared-secret",
    }
    return await bc.http.post(f"{api_root(info)}/subscriptions", headers=headers, json=body)


async def new_purchase_invoice(bc: Bc, info: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = await bc.control(f"/companies/{info['companyId']}/purchaseInvoices", json={})
    return created


async def test_a_subscription_is_created_after_the_handshake_and_expires_in_three_days() -> None:
    receiver = Receiver()
    async with hooked(receiver) as (bc, info, headers):
        created = await subscribe(bc, info, headers, "purchaseInvoices")
        listed = await bc.http.get(f"{api_root(info)}/subscriptions", headers=headers)

    assert created.status_code == 201, created.text
    subscription = created.json()
    assert len(receiver.handshakes) == 1
    assert len(subscription["subscriptionId"]) == 32
    assert subscription["expirationDateTime"] == "2026-11-28T10:00:00.000Z"
    assert subscription["clientState"] == "shared-secret"
    assert subscription["@odata.etag"].startswith('W/"')
    assert [s["subscriptionId"] for s in listed.json()["value"]] == [subscription["subscriptionId"]]


async def test_no_subscription_without_a_handshake_or_for_an_unsupported_resource() -> None:
    async with hooked(Receiver(echo=False)) as (bc, info, headers):
        silent = await subscribe(bc, info, headers, "purchaseInvoices")
        listed = await bc.http.get(f"{api_root(info)}/subscriptions", headers=headers)
    async with hooked(Receiver()) as (bc, info, headers):
        aged = await subscribe(bc, info, headers, "agedAccountsPayables")

    assert silent.status_code == 400
    assert listed.json()["value"] == []
    assert aged.status_code == 400


async def test_renewal_needs_if_match_and_a_new_handshake() -> None:
    receiver = Receiver()
    async with hooked(receiver) as (bc, info, headers):
        subscription = (await subscribe(bc, info, headers, "vendors")).json()
        url = f"{api_root(info)}/subscriptions('{subscription['subscriptionId']}')"
        bc.clock.advance(600)
        without = await bc.http.patch(url, headers=headers, json={})
        stale = await bc.http.patch(url, headers=headers | {"If-Match": 'W/"stale"'}, json={})
        etag = {"If-Match": subscription["@odata.etag"]}
        renewed = await bc.http.patch(url, headers=headers | etag, json={"clientState": "rotated"})
        deleted_stale = await bc.http.delete(url, headers=headers | etag)
        deleted = await bc.http.delete(url, headers=headers | {"If-Match": renewed.json()["@odata.etag"]})
        gone = await bc.http.get(url, headers=headers)

    assert (without.status_code, stale.status_code) == (400, 412)
    assert renewed.status_code == 200
    assert renewed.json()["expirationDateTime"] == "2026-11-28T10:10:00.000Z"
    assert renewed.json()["clientState"] == "rotated"
    assert len(receiver.handshakes) == 2
    assert (deleted_stale.status_code, deleted.status_code, gone.status_code) == (412, 204, 404)


async def test_changes_are_batched_into_one_post_per_url_after_the_delay() -> None:
    receiver = Receiver()
    async with hooked(receiver, notification_delay_seconds=0.3) as (bc, info, headers):
        await subscribe(bc, info, headers, "purchaseInvoices")
        await subscribe(bc, info, headers, "generalLedgerEntries")
        first = await new_purchase_invoice(bc, info)
        second = await new_purchase_invoice(bc, info)
        await bc.control(f"/companies/{info['companyId']}/purchaseInvoices/{first['id']}/pay")
        assert receiver.posts == [], "nothing before the delay"
        await eventually(lambda: asyncio.sleep(0, receiver.posts), lambda posts: len(posts) > 0, within=5)
        await asyncio.sleep(0.4)

    assert len(receiver.posts) == 1
    notices = receiver.notices()
    bills = [n for n in notices if "/purchaseInvoices(" in n["resource"]]
    assert [(n["resource"].split("(")[-1][:-1], n["changeType"]) for n in bills] == [
        (second["id"], "created"),
        (first["id"], "created"),
    ], "in order of last change; created then updated within one batch is one created notice"
    entries = [n for n in notices if "/generalLedgerEntries(" in n["resource"]]
    assert len(entries) >= 3 + 3 + 2
    assert {n["changeType"] for n in entries} == {"created"}
    assert {n["clientState"] for n in notices} == {"shared-secret"}
    assert all(n["lastModifiedDateTime"].endswith("Z") for n in notices)


async def test_more_changes_than_the_threshold_become_one_collection_notice() -> None:
    receiver = Receiver()
    # A delay long enough that the four changes land in one batch even on a loaded machine.
    async with hooked(receiver, notification_collection_threshold=3, notification_delay_seconds=1.0) as (
        bc,
        info,
        headers,
    ):
        subscription = (await subscribe(bc, info, headers, "purchaseInvoices")).json()
        for _ in range(4):
            await new_purchase_invoice(bc, info)
        await eventually(lambda: asyncio.sleep(0, receiver.posts), bool, within=5)
        invoices = await bc.entity_set(info, "purchaseInvoices")

    (notice,) = receiver.notices()
    assert notice["changeType"] == "collection"
    assert notice["subscriptionId"] == subscription["subscriptionId"]
    resource, _, since = notice["resource"].partition("?$filter=lastModifiedDateTime%20gt%20")
    assert resource == f"api/v2.0/companies({info['companyId']})/purchaseInvoices"
    assert len([i for i in invoices if i["lastModifiedDateTime"] > since]) == 4


async def test_a_failed_delivery_is_retried_on_408_429_and_5xx() -> None:
    receiver = Receiver(503, 429, 408)
    async with hooked(receiver) as (bc, info, headers):
        await subscribe(bc, info, headers, "vendors")
        await subscribe(bc, info, headers, "purchaseInvoices")
        await new_purchase_invoice(bc, info)
        await eventually(lambda: asyncio.sleep(0, receiver.posts), lambda posts: len(posts) == 4, within=5)
        stats = (await bc.http.get("/_simulator/stats")).json()["webhooks"]

    assert receiver.posts[0] == receiver.posts[3], "the same notification, delivered in the end"
    assert (stats["failedAttempts"], stats["postsDelivered"], stats["subscriptions"]) == (3, 1, 2)


async def test_any_other_error_deletes_the_subscriptions_of_that_delivery() -> None:
    receiver = Receiver(410)
    async with hooked(receiver) as (bc, info, headers):
        await subscribe(bc, info, headers, "purchaseInvoices")
        await new_purchase_invoice(bc, info)
        await eventually(lambda: asyncio.sleep(0, receiver.posts), bool, within=5)
        await asyncio.sleep(0.1)
        listed = await bc.http.get(f"{api_root(info)}/subscriptions", headers=headers)
        await new_purchase_invoice(bc, info)
        await asyncio.sleep(0.2)

    assert listed.json()["value"] == []
    assert len(receiver.posts) == 1, "no retry, and nothing more for a deleted subscription"


async def test_an_expired_subscription_stops_receiving() -> None:
    receiver = Receiver()
    async with hooked(receiver) as (bc, info, headers):
        await subscribe(bc, info, headers, "purchaseInvoices")
        bc.clock.advance(3 * 24 * 3600)
        await new_purchase_invoice(bc, info)
        await asyncio.sleep(0.2)
        listed = await bc.http.get(f"{api_root(info)}/subscriptions", headers=await bc.headers(info))

    assert receiver.posts == []
    assert listed.json()["value"] == []
