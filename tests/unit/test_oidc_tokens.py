"""OpenID provider tokens: accepted only when signed by it, for us, unexpired, and naming an email."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from services.gateway.oidc import OidcVerifier, looks_like_jwt
from tests.oidc_support import AUDIENCE, ISSUER, Provider


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
async def verifier(provider: Provider) -> AsyncIterator[tuple[OidcVerifier, list[str]]]:
    fetched: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, json=provider.jwks())

    async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as http:
        yield OidcVerifier(http, ISSUER, AUDIENCE, "https://login.firm.example/keys"), fetched


async def test_a_token_signed_by_the_provider_names_the_accountant(
    provider: Provider, verifier: tuple[OidcVerifier, list[str]]
) -> None:
    check, _ = verifier
    assert await check.accountant(provider.token(email="Ann.Smith@Firm.example")) == "ann.smith@firm.example"


async def test_entra_style_tokens_name_the_accountant_by_preferred_username(
    provider: Provider, verifier: tuple[OidcVerifier, list[str]]
) -> None:
    check, _ = verifier
    token = provider.token(email=None, preferred_username="bob@firm.example")
    assert await check.accountant(token) == "bob@firm.example"


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://evil.example"},
        {"aud": "api://someone-else"},
        {"exp": int(time.time()) - 60},
        {"email": None},
        {"email": "not-an-email"},
    ],
)
async def test_tokens_for_others_expired_or_nameless_are_refused(
    provider: Provider, verifier: tuple[OidcVerifier, list[str]], claims: dict[str, object]
) -> None:
    check, _ = verifier
    assert await check.accountant(provider.token(**claims)) is None


async def test_a_token_signed_by_another_key_is_refused(verifier: tuple[OidcVerifier, list[str]]) -> None:
    check, _ = verifier
    assert await check.accountant(Provider().token()) is None  # same kid, different key
    assert await check.accountant(Provider(kid="unknown").token()) is None
    assert await check.accountant("a.b.c") is None


async def test_keys_are_cached_and_unknown_key_ids_do_not_hammer_the_provider(
    provider: Provider, verifier: tuple[OidcVerifier, list[str]]
) -> None:
    check, fetched = verifier
    for _ in range(3):
        assert await check.accountant(provider.token()) is not None
    for _ in range(3):
        assert await check.accountant(Provider(kid="rotated").token()) is None
    assert len(fetched) == 1


def test_session_tokens_are_not_mistaken_for_jwts() -> None:
    assert not looks_like_jwt("Zk3xY_pq-8")
    assert looks_like_jwt("a.b.c")
