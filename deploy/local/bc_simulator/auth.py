"""OAuth 2.0 client credentials as Microsoft Entra ID answers them, and bearer checks."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from .books import SimulatedBooks
from .odata import BcApiError
from .settings import SimulatorSettings
from .state import Clock

BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"


@dataclass(frozen=True)
class IssuedToken:
    """Who a token was issued to, and until when it is valid."""

    tenant_id: UUID
    expires_at: datetime
    client_id: str = ""


class OAuthError(Exception):
    """An Entra ID token-endpoint error: `error`, AADSTS code and description."""

    def __init__(self, status_code: int, error: str, aadsts: int, description: str) -> None:
        super().__init__(description)
        self.status_code = status_code
        self.error = error
        self.aadsts = aadsts
        self.description = description

    def to_response(self) -> Response:
        """The JSON body Entra ID sends with a failed token request."""
        body = {
            "error": self.error,
            "error_description": f"AADSTS{self.aadsts}: {self.description}",
            "error_codes": [self.aadsts],
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        }
        return JSONResponse(body, status_code=self.status_code)


class TokenIssuer:
    """Issues opaque bearer tokens per tenant and checks them on API calls."""

    def __init__(self, settings: SimulatorSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, tenant_id: UUID, form: dict[str, str]) -> dict[str, str | int]:
        """Check a client-credentials request and answer with a new access token."""
        self._check_grant(form)
        now = self._clock()
        self._tokens = {t: v for t, v in self._tokens.items() if v.expires_at > now}
        token = secrets.token_urlsafe(32)
        ttl = self._settings.token_ttl_seconds
        self._tokens[token] = IssuedToken(tenant_id, now + timedelta(seconds=ttl), form["client_id"])
        return {
            "token_type": "Bearer",
            "expires_in": ttl,
            "ext_expires_in": ttl,
            "access_token": token,
        }

    def authenticate(self, authorization: str | None, tenant_id: UUID | None) -> UUID:
        """The tenant id, or BC's 401 unless the header has a live token for that tenant."""
        scheme, _, token = (authorization or "").partition(" ")
        issued = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if issued is None or issued.tenant_id != tenant_id:
            raise _unauthorized("The server has rejected the client credentials.")
        if issued.expires_at <= self._clock():
            raise _unauthorized("The access token is expired.")
        return issued.tenant_id

    def principal(self, authorization: str | None) -> IssuedToken | None:
        """Whom a live bearer token was issued to (None for a missing, unknown or expired one)."""
        scheme, _, token = (authorization or "").partition(" ")
        issued = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return issued if issued is not None and issued.expires_at > self._clock() else None

    def _check_grant(self, form: dict[str, str]) -> None:
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", 70003, "The grant type is not supported.")
        if form.get("client_id") != self._settings.client_id:
            raise OAuthError(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found.",
            )
        if not secrets.compare_digest(form.get("client_secret", ""), self._settings.client_secret):
            raise OAuthError(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if form.get("scope") != BC_SCOPE:
            raise OAuthError(400, "invalid_scope", 70011, f"The scope must be '{BC_SCOPE}'.")


def token_router(books: SimulatedBooks, issuer: TokenIssuer) -> APIRouter:
    """`POST /{tenant}/oauth2/v2.0/token`, the Entra ID token endpoint of each tenant."""
    router = APIRouter(tags=["Entra ID"])

    @router.post("/{tenant}/oauth2/v2.0/token")
    async def issue_token(tenant: str, request: Request) -> Response:
        """Client credentials grant: form-encoded client_id, client_secret and scope."""
        tenant_id = parse_tenant(tenant, books)
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode()).items()}
        try:
            if tenant_id is None:
                raise OAuthError(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
            return JSONResponse(issuer.issue(tenant_id, form))
        except OAuthError as error:
            return error.to_response()

    return router


def parse_tenant(text: str, books: SimulatedBooks) -> UUID | None:
    """The id of a known tenant written as a GUID, else None."""
    try:
        tenant_id = UUID(text)
    except ValueError:
        return None
    return tenant_id if any(t.id == tenant_id for t in books.tenants) else None


def _unauthorized(message: str) -> BcApiError:
    challenge = f'Bearer error="invalid_token", error_description="{message}"'
    return BcApiError(401, "Authentication_InvalidCredentials", message, {"WWW-Authenticate": challenge})
