"""Request dependencies: the signed-in accountant, the database, the account store."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pymongo.asynchronous.database import AsyncDatabase

from services.gateway.accounts import AccountStore
from services.gateway.clients import ClientStore
from services.gateway.commands import CommandSink
from services.gateway.oidc import OidcVerifier, looks_like_jwt
from services.gateway.refresh_jobs import RefreshJobStore
from services.gateway.views import ViewStore
from shared.ids import AccountantId
from shared.mongo import Document

SESSION_COOKIE = "hub_session"
_bearer = HTTPBearer(
    auto_error=False,
    description="a token from POST /api/v1/session (or /accounts), or one from the firm's OpenID provider",
)


def get_db(request: Request) -> AsyncDatabase[Document]:
    """The hub's database (set on app.state by the composition root)."""
    db: AsyncDatabase[Document] = request.app.state.db
    return db


def get_accounts(request: Request) -> AccountStore:
    """The account and session store."""
    accounts: AccountStore = request.app.state.accounts
    return accounts


def get_views(request: Request) -> ViewStore:
    """The saved-views store."""
    views: ViewStore = request.app.state.views
    return views


def get_refresh_jobs(request: Request) -> RefreshJobStore:
    """The refresh-job store."""
    jobs: RefreshJobStore = request.app.state.refresh_jobs
    return jobs


def get_commands(request: Request) -> CommandSink:
    """Where commands to sync go (Kafka, or nowhere without it)."""
    commands: CommandSink = request.app.state.commands
    return commands


def get_clients(request: Request) -> ClientStore:
    """The client-registration store."""
    clients: ClientStore = request.app.state.clients
    return clients


def session_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str | None:
    """The bearer token of an API client, or the browser's session cookie."""
    if credentials is not None:
        return credentials.credentials
    return request.cookies.get(SESSION_COOKIE)


async def token_owner(request: Request, token: str | None, accounts: AccountStore) -> AccountantId | None:
    """Whose session or OpenID token this is, while it is valid; None otherwise."""
    if not token:
        return None
    oidc: OidcVerifier | None = request.app.state.oidc
    if oidc is not None and looks_like_jwt(token):
        return await oidc.accountant(token)
    return await accounts.session_owner(token)


async def current_accountant(
    request: Request,
    token: Annotated[str | None, Depends(session_token)],
    accounts: Annotated[AccountStore, Depends(get_accounts)],
) -> AccountantId:
    """The signed-in accountant (a session, or a token from the firm's OpenID provider); 401 otherwise."""
    owner = await token_owner(request, token, accounts)
    if owner is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="Sign in first: POST /api/v1/session with your work email and password.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return owner


Db = Annotated[AsyncDatabase[Document], Depends(get_db)]
Accounts = Annotated[AccountStore, Depends(get_accounts)]
CurrentAccountant = Annotated[AccountantId, Depends(current_accountant)]
SavedViews = Annotated[ViewStore, Depends(get_views)]
RefreshJobs = Annotated[RefreshJobStore, Depends(get_refresh_jobs)]
Commands = Annotated[CommandSink, Depends(get_commands)]
Clients = Annotated[ClientStore, Depends(get_clients)]
SessionToken = Annotated[str | None, Depends(session_token)]
