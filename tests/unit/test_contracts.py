"""The committed event contracts (AsyncAPI) and public API (OpenAPI) match the code."""

from __future__ import annotations

from typing import get_args

import pytest

from deploy.local.contracts import CONTRACTS, documents, render
from shared.contracts import TOPIC_EVENTS
from shared.events import HubEvent


@pytest.mark.parametrize("name", ["asyncapi.json", "openapi.json"])
def test_committed_contract_matches_the_code(name: str) -> None:
    committed = (CONTRACTS / name).read_text()
    assert committed == render(documents()[name]), (
        f"docs/contracts/{name} drifted from the code: if the change is intended, run `make contracts`, "
        "and for a breaking event change bump schema_version and add an upcaster"
    )


def test_every_event_consumers_decode_is_documented_on_a_topic() -> None:
    documented = {kind for kinds in TOPIC_EVENTS.values() for kind in kinds}
    union, _discriminator = get_args(HubEvent)
    assert set(get_args(union)) == documented


def test_openapi_documents_every_public_route_with_its_errors() -> None:
    paths = documents()["openapi.json"]["paths"]
    assert {"/api/v1/session", "/api/v1/dashboard", "/api/v1/companies/{company_id}"} <= set(paths)
    assert "404" in paths["/api/v1/companies/{company_id}"]["get"]["responses"]
    assert "401" in paths["/api/v1/dashboard"]["get"]["responses"]
