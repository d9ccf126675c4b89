"""Bearer tokens from the firm's own OpenID Connect provider (e.g. Microsoft Entra ID).

A token is accepted when its signature verifies against the issuer's JWKS, `iss` and `aud` are
the configured ones, it has not expired, and it names a work email (the accountant). The JWKS is
fetched asynchronously, cached, and re-fetched when a token names an unknown key id (the
provider rotated its keys), at most once per `min_refetch`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import structlog
from jwt import PyJWK

from services.gateway.settings import GatewaySettings
from shared.ids import AccountantId, accountant_id

log = structlog.get_logger()
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


class OidcVerifier:
    """Verifies a provider's ID/access tokens and says which accountant they name."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        issuer: str,
        audience: str,
        jwks_url: str,
        email_claims: tuple[str, ...] = ("email", "preferred_username", "upn"),
        cache_seconds: float = 600.0,
        min_refetch: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._issuer = issuer
        self._audience = audience
        self._jwks_url = jwks_url
        self._email_claims = email_claims
        self._cache_seconds = cache_seconds
        self._min_refetch = min_refetch
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None

    async def accountant(self, token: str) -> AccountantId | None:
        """The accountant a valid token names; None for anything else (never raises for bad tokens)."""
        try:
            header = jwt.get_unverified_header(token)
            key = await self._key(str(header.get("kid", "")))
            if key is None:
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            log.info("oidc_token_refused", reason=type(error).__name__)
            return None
        email = next((claims[c] for c in self._email_claims if isinstance(claims.get(c), str)), None)
        if email is None or "@" not in email:
            log.info("oidc_token_without_email")
            return None
        return accountant_id(email)

    async def _key(self, kid: str) -> PyJWK | None:
        now = self._clock()
        stale = self._fetched_at is None or now - self._fetched_at > self._cache_seconds
        may_refetch = self._fetched_at is None or now - self._fetched_at > self._min_refetch
        if stale or (kid not in self._keys and may_refetch):
            await self._fetch(now)
        return self._keys.get(kid)

    async def _fetch(self, now: float) -> None:
        try:
            response = await self._http.get(self._jwks_url)
            response.raise_for_status()
            keys = response.json().get("keys", [])
        except (httpx.HTTPError, ValueError, AttributeError) as error:
            log.warning("oidc_jwks_unavailable", reason=type(error).__name__)
            return
        parsed: dict[str, PyJWK] = {}
        for jwk in keys if isinstance(keys, list) else []:
            try:
                parsed[str(jwk.get("kid", ""))] = PyJWK(jwk)
            except (jwt.PyJWTError, AttributeError, TypeError, ValueError):
                continue
        self._keys, self._fetched_at = parsed, now


def oidc_verifier(settings: GatewaySettings, http: httpx.AsyncClient) -> OidcVerifier | None:
    """The verifier for the configured provider, or None when none is configured."""
    if settings.oidc_issuer is None or settings.oidc_audience is None or settings.oidc_jwks_url is None:
        return None
    return OidcVerifier(http, settings.oidc_issuer, settings.oidc_audience, settings.oidc_jwks_url)


def looks_like_jwt(token: str) -> bool:
    """Session tokens are opaque; JWTs have three dot-separated parts."""
    return token.count(".") == 2
