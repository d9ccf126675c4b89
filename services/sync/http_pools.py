"""One HTTP connection pool per client environment.

httpcore assigns queued requests to connections by scanning every queued request against every
connection of its pool, on each request's start and end. With one pool for hundreds of environments
(each allowed SYNC_MAX_CONCURRENT_REQUESTS in flight) that scan was half of sync's CPU in a first sync
of 1,000 companies (py-spy). A pool per environment holds only that environment's few connections.

The pools share one TLS context: each httpx client otherwise loads the CA bundle into its own, about
0.8 MiB apiece (81 MiB for 100 environments, measured here).
"""

from __future__ import annotations

import asyncio

import httpx


class HttpPools:
    """An httpx client per client connection, made on first use, closed together."""

    def __init__(self, timeout_seconds: float, connections_each: int) -> None:
        self._timeout = timeout_seconds
        # The environment's request slots plus one for a token request made outside them.
        self._limits = httpx.Limits(
            max_connections=connections_each + 1, max_keepalive_connections=connections_each + 1
        )
        self._tls = httpx.create_ssl_context()
        self._clients: dict[str, httpx.AsyncClient] = {}

    def for_connection(self, client_id: str) -> httpx.AsyncClient:
        """The pool of one client connection."""
        if client_id not in self._clients:
            self._clients[client_id] = httpx.AsyncClient(
                timeout=self._timeout, limits=self._limits, verify=self._tls
            )
        return self._clients[client_id]

    async def aclose(self) -> None:
        """Close every pool."""
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(client.aclose() for client in clients))
