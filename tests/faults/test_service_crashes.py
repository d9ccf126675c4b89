"""Sync, tasks and gateway SIGKILLed at random moments while the mutator changes the client's books
and accountants read the dashboard; each restarted. Every company ends fresh and the projections
equal a clean replay of the topics (nothing lost, nothing counted twice)."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime

import httpx
import pytest

from deploy.local.stack import Stack
from tests.faults.conftest import accountant_client, assert_stack_equal_to_a_clean_replay, dashboard
from tests.faults.tally import record_measured
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.chaos_only, pytest.mark.timeout(900)]
KILLS = ("sync", "gateway", "tasks", "sync", "gateway", "tasks")


async def test_sigkilled_services_restart_and_lose_nothing(fault_stack: Stack) -> None:
    started = time.monotonic()
    rng = random.Random(20261128)
    sim = httpx.AsyncClient(base_url=f"{fault_stack.simulator_url}/_simulator", timeout=30)
    api = await accountant_client(fault_stack)
    try:
        await eventually(lambda: dashboard(api), lambda rows: len(rows) == 6, within=120)
        (await sim.post("/mutator/start", json={"changes_per_second": 20})).raise_for_status()
        for name in KILLS:
            await asyncio.sleep(rng.uniform(0.5, 3.0))
            fault_stack.services[name].kill()
            await asyncio.sleep(rng.uniform(0.0, 1.0))
            await asyncio.to_thread(fault_stack.start_service, name, 120)
        (await sim.post("/mutator/stop")).raise_for_status()
        settled = datetime.now(UTC)
        await api.aclose()
        api = await accountant_client(fault_stack)  # the gateway was restarted: sign in again
        rows = await eventually(
            lambda: dashboard(api),
            lambda rows: (
                len(rows) == 6
                and all(
                    r["last_synced_at"]
                    and datetime.fromisoformat(r["last_synced_at"]) > settled
                    and not r["last_sync_error"]
                    for r in rows.values()
                )
            ),
            within=180,
        )
        assert len(rows) == 6
    finally:
        await api.aclose()
        await sim.aclose()
    measured = await assert_stack_equal_to_a_clean_replay(fault_stack)
    record_measured(
        "service_crashes",
        fault="sync, gateway and tasks SIGKILLed at random moments under the mutator, restarted",
        times=f"{len(KILLS)} kills",
        measured=measured,
        test="tests/faults/test_service_crashes.py",
        in_make_test=False,
        seconds=time.monotonic() - started,
    )
