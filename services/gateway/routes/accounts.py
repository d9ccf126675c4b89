"""Sign up: an accountant creates their account with a work email and a password."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.deps import Accounts
from services.gateway.routes.session import start_session
from services.gateway.schemas import Problem, SessionOut

router = APIRouter(prefix="/api/v1/accounts", tags=["session"])
MIN_PASSWORD = 10


class SignUp(BaseModel):
    """A work email (its domain is your firm) and a password of at least 10 characters."""

    model_config = ConfigDict(extra="forbid", strict=True)

    email: str = Field(min_length=6, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
    password: str = Field(min_length=MIN_PASSWORD, max_length=1024)


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses={409: {"model": Problem}, 422: {"model": Problem}}
)
async def sign_up(body: SignUp, request: Request, response: Response, accounts: Accounts) -> SessionOut:
    """Create your account and sign in: returns a bearer token and sets the session cookie.

    Accountants of one firm share the domain of their work email; companies can be granted
    between accountants of the same firm."""
    domain = body.email.rsplit("@", 1)[1].lower()
    if domain in request.app.state.public_email_domains:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "email"),
                    "msg": "use your work email, not a personal one",
                    "type": "value_error",
                }
            ]
        )
    account = await accounts.create_account(body.email, body.password)
    if account is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="email: an account exists already; sign in with POST /api/v1/session.",
        )
    return await start_session(account, request, response, accounts)
