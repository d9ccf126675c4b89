"""Sync gives each client environment its own HTTP pool, sized to its request slots."""

from __future__ import annotations

from services.sync.http_pools import HttpPools


async def test_each_connection_gets_its_own_pool_and_keeps_it() -> None:
    pools = HttpPools(timeout_seconds=5, connections_each=5)

    first, again, other = pools.for_connection("a"), pools.for_connection("a"), pools.for_connection("b")

    assert first is again
    assert first is not other
    await pools.aclose()
    assert first.is_closed
    assert other.is_closed
