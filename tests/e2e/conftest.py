"""The whole system as processes: real Kafka, the MongoDB-wire server, the BC stand-in, four services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from deploy.local.stack import SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD, Stack, StackOptions, start_stack

OUTSIDER = ("outsider@other-firm.example", "outsider-password")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Everything running with 2 sample clients x 2 companies, granted to the sample accountant."""
    options = StackOptions(tenants=2, companies_per_tenant=2, partitions=3, extra_accounts=(OUTSIDER,))
    running = start_stack(tmp_path_factory.mktemp("stack"), options)
    try:
        yield running
    finally:
        running.stop()


async def signed_in(base_url: str, email: str, password: str) -> httpx.AsyncClient:
    """An API client carrying a bearer token for `email`."""
    client = httpx.AsyncClient(base_url=base_url, timeout=10)
    response = await client.post("/api/v1/session", json={"email": email, "password": password})
    response.raise_for_status()
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


@pytest.fixture
async def accountant_api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway API as the sample accountant."""
    client = await signed_in(stack.gateway_url, SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def outsider_api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway API as an accountant of another firm, granted nothing."""
    client = await signed_in(stack.gateway_url, *OUTSIDER)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def simulator(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The BC stand-in's control API (changes the client's books)."""
    async with httpx.AsyncClient(base_url=f"{stack.simulator_url}/_simulator", timeout=10) as client:
        yield client
