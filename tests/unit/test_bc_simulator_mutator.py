"""The business-day mutator keeps the books changing, balanced, and the same for a seed."""

from __future__ import annotations

from typing import Any

from deploy.local.bc_simulator import SimulatorSettings
from deploy.local.bc_simulator.store import Change
from tests.bc_simulator_support import Bc, simulator, total
from tests.unit.test_bc_simulator_ledger import assert_balanced, net
from tests.waiting import eventually

ENTITY_SETS = ("salesInvoices", "purchaseInvoices", "salesQuotes", "salesOrders", "generalLedgerEntries")


async def step(bc: Bc, changes: int) -> dict[str, Any]:
    status: dict[str, Any] = await bc.control("/mutator/step", json={"changes": changes})
    return status


async def snapshot(bc: Bc) -> list[list[dict[str, Any]]]:
    return [await bc.entity_set(info, name) for info in await bc.companies() for name in ENTITY_SETS]


async def mutator_status(bc: Bc) -> dict[str, Any]:
    status: dict[str, Any] = (await bc.http.get("/_simulator/mutator")).json()
    return status


async def test_changes_keep_every_ledger_balanced_and_the_aged_reports_in_step() -> None:
    async with simulator() as bc:
        status = await step(bc, 150)
        for info in await bc.companies():
            entries = await bc.entity_set(info, "generalLedgerEntries")
            receivables = await bc.entity_set(info, "agedAccountsReceivables")
            payables = await bc.entity_set(info, "agedAccountsPayables")
            accounts = await bc.entity_set(info, "accounts")

            assert_balanced(entries)
            assert total(receivables, "balanceDue") == net(entries, "10400")
            assert total(payables, "balanceDue") == -net(entries, "20100")
            assert all(
                net(entries, a["number"]) == a["netChange"] for a in accounts if a["accountType"] == "Posting"
            )

    assert status["changesMade"] == 150
    kinds = {change.split(" ")[0] for change in status["changes"]}
    assert {"posted", "received", "paid", "sent"} <= kinds


async def test_every_change_moves_last_modified_so_pollers_see_it() -> None:
    async with simulator() as bc:
        info = (await bc.companies())[0]
        headers = await bc.headers(info)
        before = await bc.entity_set(info, "salesInvoices")
        watermark = max(i["lastModifiedDateTime"] for i in before)
        await step(bc, 40)
        url = f"{info['apiUrl']}/salesInvoices?$filter=lastModifiedDateTime gt {watermark}"
        changed = await bc.get_all(url, headers)
        after = {i["id"]: i for i in await bc.entity_set(info, "salesInvoices")}

    assert changed
    old = {i["id"]: i for i in before}
    assert {i["id"] for i in changed} == {k for k, v in after.items() if k not in old or v != old[k]}


async def test_the_same_seed_makes_the_same_changes() -> None:
    async with simulator(SimulatorSettings(seed=5)) as first, simulator(SimulatorSettings(seed=5)) as second:
        made = [(await step(bc, 60))["changes"] for bc in (first, second)]
        books = [await snapshot(bc) for bc in (first, second)]
    async with simulator(SimulatorSettings(seed=6)) as other:
        other_made = (await step(other, 60))["changes"]

    assert made[0] == made[1]
    assert books[0] == books[1]
    assert other_made != made[0]


async def test_quotes_that_become_orders_are_deleted_as_bc_does() -> None:
    async with simulator() as bc:
        changes: list[Change] = []
        bc.app.state.simulator.state.tables.listen(changes.append)
        made = (await step(bc, 200))["changes"]

    assert any(change.startswith("quote became order") for change in made)
    deleted = [c for c in changes if c.change_type == "deleted"]
    assert deleted
    assert {c.entity_set for c in deleted} == {"salesQuotes"}


async def test_it_runs_in_the_background_at_a_rate_until_stopped() -> None:
    async with simulator(lifespan=True) as bc:
        started = await bc.control("/mutator/start", json={"changes_per_second": 200})
        await eventually(lambda: mutator_status(bc), lambda s: s["changesMade"] >= 10, within=5)
        stopped = await bc.control("/mutator/stop")
        later = await mutator_status(bc)

    assert (started["running"], started["changesPerSecond"]) == (True, 200)
    assert (stopped["running"], stopped["lastError"]) == (False, None)
    assert later["changesMade"] == stopped["changesMade"]


async def test_a_setting_starts_it_with_the_app() -> None:
    async with simulator(SimulatorSettings(mutator_changes_per_second=100), lifespan=True) as bc:
        status = await eventually(lambda: mutator_status(bc), lambda s: s["changesMade"] >= 5, within=5)

    assert status["running"]
    assert status["changesPerSecond"] == 100
