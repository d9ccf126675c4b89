"""The gateway's OpenAPI document, with every error response declared as a problem+json Problem."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.gateway.problems import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def install_openapi(app: FastAPI) -> None:
    """Replace FastAPI's default error schemas by Problem, and document a default error per operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = problems_everywhere(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def problems_everywhere(document: dict[str, Any]) -> dict[str, Any]:
    """Every 4xx/5xx response (and a `default` one) answers `application/problem+json` with a Problem."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code == "default" or code[0] in "45":
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
            responses["default"] = {
                "description": "An error, as RFC 9457 problem details",
                "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
            }
    schemas = document.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    return document
