"""Client registrations, as the gateway shows them (`gw_clients`): what was asked and sync's answer.

The gateway never keeps the client secret: it is encrypted on arrival and forwarded to sync,
which alone stores and uses it. A registration is private to the accountant who made it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pymongo.asynchronous.database import AsyncDatabase

from shared.commands import ClientConnectionReported
from shared.ids import AccountantId
from shared.mongo import Document

CORRELATION_PREFIX = "client:"


class ClientIn(BaseModel):
    """A client's Business Central environment and the app registration the hub signs in with."""

    model_config = ConfigDict(extra="forbid", strict=True)

    client_name: str = Field(min_length=1, max_length=200, description="how the client appears on rows")
    tenant: str = Field(
        min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$", description="Entra tenant id"
    )
    environment: str = Field(default="production", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    client_id: str = Field(min_length=1, max_length=200, description="the app registration's client id")
    client_secret: SecretStr = Field(
        min_length=1, max_length=1000, description="never returned or stored here"
    )


class ClientOut(BaseModel):
    """A registration and how it went: pending until sync answers, then connected or failed (why)."""

    id: str
    client_name: str
    tenant: str
    environment: str
    state: Literal["pending", "connected", "failed"]
    error: str | None = Field(default=None, description="why the connection failed, to act on")
    companies: int | None = Field(default=None, description="companies found (connected only)")
    requested_at: datetime


class ClientsOut(BaseModel):
    """Your client registrations, newest first."""

    clients: list[ClientOut]


def connection_id(tenant: str, environment: str) -> str:
    """One connection per Business Central environment."""
    return f"{tenant}/{environment}"


def correlation_id(registration_id: str) -> str:
    """The correlation id of a registration's command (and of sync's answer)."""
    return f"{CORRELATION_PREFIX}{registration_id}"


class ClientStore:
    """Registrations and their outcomes."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._clients = db["gw_clients"]

    async def create_indexes(self) -> None:
        """Listing is by owner, newest first."""
        await self._clients.create_index([("owner", 1), ("requested_at", -1)])

    async def create(
        self, registration_id: str, owner: AccountantId, body: ClientIn, now: datetime
    ) -> ClientOut:
        """Remember a registration (without its secret) as pending."""
        doc = {
            "_id": registration_id,
            "owner": owner,
            "client_name": body.client_name,
            "tenant": body.tenant,
            "environment": body.environment,
            "state": "pending",
            "error": None,
            "companies": None,
            "requested_at": now,
        }
        await self._clients.insert_one(doc)
        return _client(doc)

    async def forget(self, registration_id: str) -> None:
        """Drop a registration whose command could not be sent."""
        await self._clients.delete_one({"_id": registration_id})

    async def list(self, owner: AccountantId) -> list[ClientOut]:
        """The owner's registrations, newest first."""
        docs = await self._clients.find({"owner": owner}).sort("requested_at", -1).limit(500).to_list()
        return [_client(d) for d in docs]

    async def get(self, owner: AccountantId, registration_id: str) -> ClientOut | None:
        """The owner's registration; None for anybody else's."""
        doc = await self._clients.find_one({"_id": registration_id, "owner": owner})
        return _client(doc) if doc else None

    async def record(self, reply: ClientConnectionReported) -> None:
        """Store sync's answer on the registration it answers (a redelivery writes the same)."""
        if not reply.correlation_id.startswith(CORRELATION_PREFIX):
            return
        registration_id = reply.correlation_id.removeprefix(CORRELATION_PREFIX)
        await self._clients.update_one(
            {"_id": registration_id},
            {
                "$set": {
                    "state": reply.state,
                    "error": reply.reason,
                    "companies": reply.companies if reply.state == "connected" else None,
                }
            },
        )


def _client(doc: Document) -> ClientOut:
    return ClientOut.model_validate({**doc, "id": doc["_id"]})
