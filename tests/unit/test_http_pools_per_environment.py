"""Sync gives each client environment its own HTTP pool, sized to its request slots, all sharing one
TLS context."""

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


def tls_context_of(client: object) -> object:
    """httpx keeps it on the connection pool of the client's transport (no public accessor)."""
    return client._transport._pool._ssl_context  # type: ignore[attr-defined]


async def test_the_pools_share_one_tls_context_not_one_ca_bundle_each() -> None:
    pools = HttpPools(timeout_seconds=5, connections_each=5)

    contexts = {id(tls_context_of(pools.for_connection(name))) for name in ("a", "b", "c")}

    assert len(contexts) == 1
    await pools.aclose()
