"""Identity on the real MongoDB server: sign up with a work email, bearer tokens, and the firm's own
OpenID provider (a local JWKS server and a locally generated key)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.mongo import MongoServer
from shared.mongo import Document
from tests.gateway_support import gateway_settings, in_process_gateway, running
from tests.oidc_support import AUDIENCE, ISSUER, Provider, serving_jwks

pytestmark = pytest.mark.integration


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
async def api(
    mongo_server: MongoServer, mongo_db: AsyncDatabase[Document], provider: Provider
) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous client of a gateway that trusts the provider."""
    with serving_jwks(provider) as jwks_url:
        settings = gateway_settings(
            mongo_server.url,
            mongo_db.name,
            {},
            oidc_issuer=ISSUER,
            oidc_audience=AUDIENCE,
            oidc_jwks_url=jwks_url,
        )
        async with running(in_process_gateway(settings)) as client:
            yield client


def work_email() -> str:
    return f"acc-{uuid.uuid4().hex[:8]}@firm.example"


async def test_sign_up_gives_a_bearer_token_that_works_at_once(api: httpx.AsyncClient) -> None:
    email = work_email()
    response = await api.post("/api/v1/accounts", json={"email": email, "password": "long-enough-secret"})
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    me = await api.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"})
    assert me.json() == {"accountant": email}
    signed_in = await api.post(
        "/api/v1/session", json={"email": email.upper(), "password": "long-enough-secret"}
    )
    assert signed_in.status_code == 200


async def test_signing_up_twice_is_a_conflict_and_keeps_the_first_password(api: httpx.AsyncClient) -> None:
    email = work_email()
    await api.post("/api/v1/accounts", json={"email": email, "password": "first-password-1"})
    again = await api.post("/api/v1/accounts", json={"email": email, "password": "second-password-2"})
    assert again.status_code == 409
    assert "sign in" in again.json()["detail"]
    wrong = await api.post("/api/v1/session", json={"email": email, "password": "second-password-2"})
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "someone@gmail.com", "password": "long-enough-secret"}, "email"),
        ({"email": "no-domain@firm", "password": "long-enough-secret"}, "email"),
        ({"email": "ann@firm.example", "password": "short"}, "password"),
    ],
)
async def test_sign_up_needs_a_work_email_and_a_long_password(
    api: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    response = await api.post("/api/v1/accounts", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_a_token_from_the_firms_provider_signs_the_accountant_in(
    api: httpx.AsyncClient, provider: Provider
) -> None:
    token = provider.token(email="Ann@Firm.example")
    me = await api.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json() == {"accountant": "ann@firm.example"}
    dashboard = await api.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {token}"})
    assert dashboard.json() == {"rows": [], "next_cursor": None}


async def test_a_forged_or_foreign_token_is_a_401_problem(api: httpx.AsyncClient, provider: Provider) -> None:
    for token in (Provider().token(), provider.token(aud="api://other"), "not-a-session"):
        response = await api.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
