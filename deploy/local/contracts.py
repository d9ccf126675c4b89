"""`make contracts`: write the committed contract documents from the code.

docs/contracts/asyncapi.json: every topic's events (from shared.contracts).
docs/contracts/openapi.json: the gateway's public API.
tests/unit/test_contracts.py fails when these drift from the code; run this to accept a change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.gateway.main import create_app
from services.gateway.settings import GatewaySettings
from shared.contracts import asyncapi_document

CONTRACTS = Path(__file__).resolve().parents[2] / "docs" / "contracts"


def openapi_document() -> dict[str, Any]:
    """The gateway's OpenAPI document (building the app does no I/O)."""
    document: dict[str, Any] = create_app(GatewaySettings()).openapi()
    return document


def documents() -> dict[str, dict[str, Any]]:
    """File name -> document."""
    return {"asyncapi.json": asyncapi_document(), "openapi.json": openapi_document()}


def render(document: dict[str, Any]) -> str:
    """Stable text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main() -> None:
    """Write every contract document."""
    CONTRACTS.mkdir(parents=True, exist_ok=True)
    for name, document in documents().items():
        (CONTRACTS / name).write_text(render(document))
        print(f"wrote {CONTRACTS / name}")


if __name__ == "__main__":
    main()
