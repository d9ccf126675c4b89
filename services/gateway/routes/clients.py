"""Clients: register the connection to a client's Business Central environment and see how it went."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status

from services.gateway.clients import ClientIn, ClientOut, ClientsOut, connection_id, correlation_id
from services.gateway.commands import CommandsUnavailableError
from services.gateway.deps import Clients, Commands, CurrentAccountant
from services.gateway.schemas import Problem
from shared.commands import RegisterClient
from shared.credentials import CredentialCipher
from shared.topics import SYNC_COMMANDS

router = APIRouter(prefix="/api/v1/clients", tags=["clients"])
UNAVAILABLE = "Client registration is unavailable right now; try again later."


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses={401: {"model": Problem}, 422: {"model": Problem}, 503: {"model": Problem}},
)
async def register_client(
    body: ClientIn, request: Request, accountant: CurrentAccountant, clients: Clients, commands: Commands
) -> ClientOut:
    """Connect a client's environment; its companies appear on your dashboard once sync signed in.

    The secret is encrypted at once and only sync keeps it; it is never returned."""
    cipher: CredentialCipher | None = request.app.state.credentials
    if cipher is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=UNAVAILABLE + " (no credentials key)")
    registration_id = uuid.uuid4().hex
    command = RegisterClient(
        connection_id=connection_id(body.tenant, body.environment),
        client_name=body.client_name,
        tenant=body.tenant,
        environment=body.environment,
        oauth_client_id=body.client_id,
        encrypted_secret=cipher.encrypt(body.client_secret),
        correlation_id=correlation_id(registration_id),
        requested_by=accountant,
    )
    created = await clients.create(registration_id, accountant, body, datetime.now(UTC))
    try:
        await commands.send(SYNC_COMMANDS, [command])
    except CommandsUnavailableError:
        await clients.forget(registration_id)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=UNAVAILABLE, headers={"Retry-After": "30"}
        ) from None
    return created


@router.get("", responses={401: {"model": Problem}})
async def list_clients(accountant: CurrentAccountant, clients: Clients) -> ClientsOut:
    """Your client registrations, newest first, each pending, connected or failed (with why)."""
    return ClientsOut(clients=await clients.list(accountant))


@router.get("/{registration_id}", responses={401: {"model": Problem}, 404: {"model": Problem}})
async def read_client(
    accountant: CurrentAccountant,
    clients: Clients,
    registration_id: Annotated[
        str, Path(min_length=1, max_length=64, description="from POST /api/v1/clients")
    ],
) -> ClientOut:
    """One registration and how it went."""
    found = await clients.get(accountant, registration_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No such client registration among yours.")
    return found
