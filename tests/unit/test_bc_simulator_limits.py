"""The simulator enforces BC's limits: a sliding window per client, 5 at once per environment."""

from __future__ import annotations

import asyncio
from typing import Any

from deploy.local.bc_simulator import SimulatorSettings
from tests.bc_simulator_support import Bc, odata_company, simulator


async def slow_down(bc: Bc, info: dict[str, Any], seconds: float) -> None:
    await bc.control(f"/companies/{info['companyId']}/slow", json={"seconds": seconds})


async def test_the_request_after_the_window_is_full_gets_429_with_retry_after() -> None:
    async with simulator(SimulatorSettings(requests_per_window=3, window_seconds=60)) as bc:
        info = (await bc.companies())[0]
        headers = await bc.headers(info)
        url = f"{info['apiUrl']}/vendors"
        statuses = [(await bc.http.get(url, headers=headers)).status_code for _ in range(3)]
        refused = await bc.http.get(url, headers=headers)
        bc.clock.advance(61)
        again = await bc.http.get(url, headers=headers)
        stats = (await bc.http.get("/_simulator/stats")).json()

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "Application_TooManyRequests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert again.status_code == 200, "the window slides"
    assert (stats["requestsServed"], stats["throttledByWindow"], stats["maxRequestsInWindowObserved"]) == (
        4,
        1,
        3,
    )
    assert stats["limits"] == {
        "maxConcurrentRequests": 5,
        "maxQueuedRequests": 95,
        "requestsPerWindow": 3,
        "windowSeconds": 60.0,
    }


async def test_retry_after_can_be_left_out_as_bc_may_do() -> None:
    settings = SimulatorSettings(requests_per_window=1, retry_after_on_429=False)
    async with simulator(settings) as bc:
        info = (await bc.companies())[0]
        headers = await bc.headers(info)
        await bc.http.get(info["apiUrl"], headers=headers)
        refused = await bc.http.get(info["apiUrl"], headers=headers)

    assert refused.status_code == 429
    assert "Retry-After" not in refused.headers


async def test_the_window_is_per_client_and_unauthenticated_requests_do_not_count() -> None:
    async with simulator(SimulatorSettings(requests_per_window=2)) as bc:
        infos = await bc.companies()
        first = infos[0]
        other_tenant = next(i for i in infos if i["tenantId"] != first["tenantId"])
        rejected = [(await bc.http.get(first["apiUrl"])).status_code for _ in range(3)]
        headers = await bc.headers(first)
        allowed = [(await bc.http.get(first["apiUrl"], headers=headers)).status_code for _ in range(2)]
        third = await bc.http.get(first["apiUrl"], headers=headers)
        elsewhere = await bc.http.get(other_tenant["apiUrl"], headers=await bc.headers(other_tenant))
        odata = await bc.http.get(odata_company(first) + "/AccountantPortalUserTasks", headers=headers)

    assert rejected == [401, 401, 401]
    assert allowed == [200, 200]
    assert third.status_code == 429
    assert elsewhere.status_code == 200
    assert odata.status_code == 429, "ODataV4 pages share the client's budget"


async def test_at_most_the_configured_requests_run_at_once_and_the_queue_is_bounded() -> None:
    async with simulator(SimulatorSettings(max_concurrent_requests=2, max_queued_requests=1)) as bc:
        info = (await bc.companies())[0]
        headers = await bc.headers(info)
        await slow_down(bc, info, 0.2)
        responses = await asyncio.gather(*(bc.http.get(info["apiUrl"], headers=headers) for _ in range(5)))
        stats = (await bc.http.get("/_simulator/stats")).json()

    assert sorted(r.status_code for r in responses) == [200, 200, 200, 429, 429]
    assert all("Retry-After" in r.headers for r in responses if r.status_code == 429)
    assert (stats["maxConcurrencyObserved"], stats["maxQueuedObserved"]) == (2, 1)
    assert (stats["throttledByQueue"], stats["requestsServed"]) == (2, 3)


async def test_queued_requests_wait_their_turn_and_never_exceed_the_limit() -> None:
    async with simulator() as bc:
        infos = await bc.companies()
        info = infos[0]
        other = next(i for i in infos if i["tenantId"] != info["tenantId"])
        headers, other_headers = await bc.headers(info), await bc.headers(other)
        await slow_down(bc, info, 0.05)
        await slow_down(bc, other, 0.05)
        requests = [bc.http.get(info["apiUrl"], headers=headers) for _ in range(12)]
        requests += [bc.http.get(other["apiUrl"], headers=other_headers) for _ in range(3)]
        responses = await asyncio.gather(*requests)
        stats = (await bc.http.get("/_simulator/stats")).json()

    assert {r.status_code for r in responses} == {200}
    assert stats["maxConcurrencyObserved"] == 5, "per environment, as documented"
    assert stats["maxQueuedObserved"] == 7
    assert {c["requestsServed"] for c in stats["clients"]} == {12, 3}


async def test_stats_can_be_reset_before_a_benchmark() -> None:
    async with simulator() as bc:
        info = (await bc.companies())[0]
        await bc.http.get(info["apiUrl"], headers=await bc.headers(info))
        reset = await bc.http.post("/_simulator/stats/reset")

    assert (reset.json()["requestsServed"], reset.json()["clients"]) == (0, [])


async def test_admission_times_are_listed_per_client_so_a_benchmark_can_count_windows() -> None:
    async with simulator(SimulatorSettings(requests_per_window=2, window_seconds=60)) as bc:
        info = (await bc.companies())[0]
        headers = await bc.headers(info)
        await bc.http.get(info["apiUrl"], headers=headers)
        bc.clock.advance(5)
        await bc.http.get(info["apiUrl"], headers=headers)
        refused = await bc.http.get(info["apiUrl"], headers=headers)
        admissions = (await bc.http.get("/_simulator/stats/admissions")).json()

    assert refused.status_code == 429
    (client,) = admissions["clients"]
    assert client["tenantId"] == info["tenantId"]
    first, second = client["admittedAt"]
    assert second - first == 5, "a refused request is not admitted"
    assert admissions["limits"]["requestsPerWindow"] == 2
