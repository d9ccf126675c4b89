"""Sign in and sign out."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from services.gateway.accounts import AccountStore
from services.gateway.deps import SESSION_COOKIE, Accounts, CurrentAccountant, SessionToken
from services.gateway.schemas import Problem, SessionOut, SignedIn, SignIn
from shared.ids import AccountantId

router = APIRouter(prefix="/api/v1/session", tags=["session"])


@router.post("", responses={401: {"model": Problem}})
async def sign_in(body: SignIn, request: Request, response: Response, accounts: Accounts) -> SessionOut:
    """Sign in with work email and password; returns a bearer token and sets the session cookie."""
    account = await accounts.verify_password(body.email, body.password)
    if account is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Unknown email or wrong password.")
    return await start_session(account, request, response, accounts)


async def start_session(
    account: AccountantId, request: Request, response: Response, accounts: AccountStore
) -> SessionOut:
    """Open a session: its token for API clients, and as an HttpOnly cookie for the browser."""
    token = await accounts.open_session(account)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.secure_cookies,
    )
    return SessionOut(accountant=account, token=token)


@router.get("", responses={401: {"model": Problem}})
async def who_am_i(accountant: CurrentAccountant) -> SignedIn:
    """Who the session or bearer token belongs to; 401 when it expired or was never valid."""
    return SignedIn(accountant=accountant)


@router.delete(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    # Signing out without a session is a no-op, not an error: authentication is optional here.
    openapi_extra={"security": [{}, {"HTTPBearer": []}]},
)
async def sign_out(response: Response, accounts: Accounts, token: SessionToken) -> None:
    """Sign out: the session token stops working."""
    if token:
        await accounts.close_session(token)
    response.delete_cookie(SESSION_COOKIE)
