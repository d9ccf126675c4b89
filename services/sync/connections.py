"""Client connections registered through the gateway, owned by sync (`sync_connections`).

The client secret is stored exactly as it arrived: Fernet-encrypted with HUB_CREDENTIALS_KEY.
It is decrypted only in memory, into the ClientConnection a connector signs in with.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from services.sync.settings import ClientConnection
from shared.credentials import CredentialCipher, CredentialsError
from shared.mongo import Document

log = structlog.get_logger()


class ConnectionStore:
    """Registered connections with their encrypted secrets."""

    def __init__(self, db: AsyncDatabase[Document], cipher: CredentialCipher | None) -> None:
        self._connections = db["sync_connections"]
        self._cipher = cipher

    async def granted_to(self, connection_id: str) -> tuple[str, ...]:
        """Who an already registered connection is granted to (empty when new)."""
        doc = await self._connections.find_one({"_id": connection_id}, {"granted_to": 1})
        return tuple(doc.get("granted_to", [])) if doc else ()

    async def save(self, connection: ClientConnection, encrypted_secret: str, at: datetime) -> None:
        """Remember a connection that signed in; the secret stays encrypted."""
        doc = connection.model_dump(mode="json", exclude={"oauth_client_secret", "client_id"})
        await self._connections.replace_one(
            {"_id": connection.client_id},
            {**doc, "encrypted_secret": encrypted_secret, "registered_at": at},
            upsert=True,
        )

    async def load_all(self) -> list[ClientConnection]:
        """Every registered connection, decrypted; one that cannot be decrypted is skipped and logged."""
        if self._cipher is None:
            return []
        connections = []
        async for doc in self._connections.find({}):
            try:
                secret = self._cipher.decrypt(doc["encrypted_secret"])
            except CredentialsError:
                log.error("connection_credentials_unreadable", connection_id=doc["_id"])
                continue
            fields = {k: v for k, v in doc.items() if k not in ("_id", "encrypted_secret", "registered_at")}
            connections.append(ClientConnection(client_id=doc["_id"], oauth_client_secret=secret, **fields))
        return connections


def merged(
    configured: Sequence[ClientConnection], stored: Sequence[ClientConnection]
) -> list[ClientConnection]:
    """Connections from settings (their configuration wins, registered grantees are added) and the
    registered ones settings do not name."""
    registered = {c.client_id: c for c in stored}
    result = []
    for connection in configured:
        extra = registered.pop(connection.client_id, None)
        grantees = set(connection.granted_to) | set(extra.granted_to if extra else ())
        result.append(connection.model_copy(update={"granted_to": tuple(sorted(grantees))}))
    return result + list(registered.values())
