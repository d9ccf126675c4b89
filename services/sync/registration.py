"""The RegisterClient command: sign in to a client's environment, list its companies, keep the
connection (secret encrypted), grant its companies to the accountant who registered it, and say
how it went on client.connections (connected with N companies, or why not).

Registering the same tenant/environment again updates the credentials and adds the new
accountant to its grantees: whoever holds working credentials for an environment may see it.
Repeating a command (a redelivery) comes out the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import httpx
import structlog
from pydantic import SecretStr

from services.sync.connections import ConnectionStore
from services.sync.connectors.base import ClientSystemError
from services.sync.directory import CompanyDirectory
from services.sync.handlers import Clock, SyncContext, failure_reason
from services.sync.settings import ClientConnection
from shared.commands import ClientConnectionReported, Keyed, RegisterClient
from shared.credentials import CredentialCipher, CredentialsError
from shared.topics import CLIENT_CONNECTIONS

log = structlog.get_logger()


class ReplySink(Protocol):
    """Where sync's answers go (shared.commands.CommandPublisher, or a fake)."""

    async def send(self, topic: str, commands: Sequence[Keyed]) -> None:
        """Send and wait for acknowledgement."""
        ...


@dataclass(frozen=True)
class Endpoints:
    """Where registered Business Central environments are reached (the real service, or the stand-in)."""

    api_base_url: str
    login_base_url: str
    web_client_url: str


@dataclass(frozen=True)
class RegisterClientHandler:
    """Connects a client's environment on request."""

    contexts: list[SyncContext]
    make_context: Callable[[ClientConnection], SyncContext]
    connections: ConnectionStore
    cipher: CredentialCipher | None
    directory: CompanyDirectory
    replies: ReplySink
    endpoints: Endpoints
    now: Clock

    async def __call__(self, command: RegisterClient) -> None:
        """Connect, or answer why not."""
        if self.cipher is None:
            await self._answer(
                command, reason="sync has no credentials key (HUB_CREDENTIALS_KEY); ask the operator"
            )
            return
        try:
            secret = self.cipher.decrypt(command.encrypted_secret)
        except CredentialsError:
            await self._answer(command, reason="the gateway and sync use different credentials keys")
            return
        granted = set(await self.connections.granted_to(command.connection_id))
        granted |= {command.requested_by} if command.requested_by else set()
        connection = self._connection(command, secret, granted)
        ctx = self.make_context(connection)
        try:
            companies = await ctx.connector.list_companies()
        except (ClientSystemError, httpx.HTTPError) as error:
            await self._answer(command, reason=failure_reason(error))
            return
        await self.connections.save(connection, command.encrypted_secret, self.now())
        self.contexts[:] = [c for c in self.contexts if c.connection.client_id != connection.client_id] + [
            ctx
        ]
        known = self.directory.known(connection.client_id)
        known.clear()
        known.update({c.id: c for c in companies})
        log.info("client_connected", connection_id=connection.client_id, companies=len(companies))
        await self._answer(command, companies=len(companies))

    def _connection(self, command: RegisterClient, secret: SecretStr, granted: set[str]) -> ClientConnection:
        """The connection to sign in with; one already running (from settings) keeps its time zones,
        currencies and grantees, and takes the new credentials."""
        running = next(
            (c.connection for c in self.contexts if c.connection.client_id == command.connection_id), None
        )
        credentials = {
            "oauth_client_id": command.oauth_client_id,
            "oauth_client_secret": secret,
            "granted_to": tuple(sorted(granted | set(running.granted_to if running else ()))),
        }
        if running is not None:
            return running.model_copy(update=credentials)
        return ClientConnection(
            client_id=command.connection_id,
            client_name=command.client_name,
            tenant=command.tenant,
            environment=command.environment,
            api_base_url=self.endpoints.api_base_url,
            login_base_url=self.endpoints.login_base_url,
            web_client_url=self.endpoints.web_client_url,
            **credentials,
        )

    async def _answer(self, command: RegisterClient, reason: str | None = None, companies: int = 0) -> None:
        if reason is not None:
            log.warning("client_registration_failed", connection_id=command.connection_id, reason=reason)
        reply = ClientConnectionReported(
            connection_id=command.connection_id,
            correlation_id=command.correlation_id,
            causation_id=str(command.command_id),
            state="failed" if reason else "connected",
            reason=reason[:500] if reason else None,
            companies=companies,
        )
        await self.replies.send(CLIENT_CONNECTIONS, [reply])
