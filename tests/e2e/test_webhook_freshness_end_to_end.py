"""A change in the client's books reaches the dashboard through BC's webhook, long before the next poll.

Its own stack: sync polls every 10 minutes, the simulator notifies 0.2 s after a change."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from deploy.local.stack import SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD, Stack, StackOptions, start_stack
from tests.e2e.conftest import signed_in
from tests.waiting import eventually

pytestmark = pytest.mark.e2e
POLL_SECONDS = 600.0


@pytest.fixture(scope="module")
def slow_poll_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    options = StackOptions(
        tenants=1,
        companies_per_tenant=1,
        partitions=3,
        poll_interval_seconds=POLL_SECONDS,
        simulator_env={"BC_SIM_NOTIFICATION_DELAY_SECONDS": "0.2"},
    )
    running = start_stack(tmp_path_factory.mktemp("webhook-stack"), options)
    try:
        yield running
    finally:
        running.stop()


async def test_an_invoice_made_overdue_shows_on_the_dashboard_sooner_than_the_poll_interval(
    slow_poll_stack: Stack,
) -> None:
    stack = slow_poll_stack
    api = await signed_in(stack.gateway_url, SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD)
    async with httpx.AsyncClient(base_url=f"{stack.simulator_url}/_simulator", timeout=10) as sim:
        company = (await sim.get("/companies")).json()[0]
        cid = company["companyId"]

        async def stats() -> dict[str, Any]:
            body: dict[str, Any] = (await sim.get("/stats")).json()
            return body

        async def row() -> dict[str, Any] | None:
            response = await api.get("/api/v1/dashboard", params={"limit": 500})
            response.raise_for_status()
            return next((r for r in response.json()["rows"] if r["company_id"] == cid), None)

        await eventually(stats, lambda s: s["webhooks"]["subscriptions"] == 6, within=60)
        before = await eventually(row, lambda r: r is not None and r["last_synced_at"] is not None, within=60)
        assert before is not None
        invoices = await sim.post(f"/companies/{cid}/salesInvoices", json={})
        invoices.raise_for_status()
        invoice_id = invoices.json()["id"]

        started = time.monotonic()
        made = await sim.post(f"/companies/{cid}/salesInvoices/{invoice_id}/make-overdue")
        made.raise_for_status()
        count = sum(f["count"] for f in before["overdue_sales"])
        await eventually(row, lambda r: r is not None and sum(f["count"] for f in r["overdue_sales"]) > count)
        elapsed = time.monotonic() - started

        assert elapsed < POLL_SECONDS / 10
        assert (await stats())["webhooks"]["postsDelivered"] >= 1
    await api.aclose()
