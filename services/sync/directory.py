"""Which company lives in which client connection, as last listed by the client systems."""

from __future__ import annotations

from services.sync.connectors.base import RemoteCompany


class CompanyDirectory:
    """Companies per connection; the poller refreshes each connection's list on every pass."""

    def __init__(self) -> None:
        self._by_connection: dict[str, dict[str, RemoteCompany]] = {}

    def known(self, connection_id: str) -> dict[str, RemoteCompany]:
        """The (mutable) companies of one connection, by id."""
        return self._by_connection.setdefault(connection_id, {})

    def find(self, company_id: str) -> tuple[str, RemoteCompany] | None:
        """The connection a company belongs to, and the company; None when no list has it."""
        for connection_id, companies in self._by_connection.items():
            if company_id in companies:
                return connection_id, companies[company_id]
        return None
