"""Every gateway error is RFC 9457 problem+json naming the field, with no internals leaked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel

from services.gateway.openapi import install_openapi
from services.gateway.problems import install_problem_handlers


class Body(BaseModel):
    name: str


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()

    @app.get("/things")
    async def things(colour: Annotated[Literal["red", "green"], Query()] = "red") -> dict[str, str]:
        return {"colour": colour}

    @app.post("/things")
    async def make(body: Body) -> dict[str, str]:
        return {"name": body.name}

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(418, detail="Short and stout: use the kettle instead.")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    install_problem_handlers(app, max_body_bytes=1024, body_timeout_seconds=0.3)
    install_openapi(app)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://hub"
    ) as client:
        yield client


async def test_enum_query_error_names_the_field_and_the_allowed_values(api: httpx.AsyncClient) -> None:
    response = await api.get("/things", params={"colour": "blue"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["title"] == "Unprocessable Entity"
    assert problem["errors"] == [
        {
            "field": "colour",
            "location": "query",
            "message": "Input should be 'red' or 'green'",
            "allowed": ["red", "green"],
        }
    ]
    assert "colour" in problem["detail"]
    assert "red, green" in problem["detail"]


async def test_missing_body_field_is_named(api: httpx.AsyncClient) -> None:
    response = await api.post("/things", json={})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["name"]


async def test_malformed_json_is_a_422_problem_not_a_500(api: httpx.AsyncClient) -> None:
    response = await api.post("/things", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_http_errors_keep_their_status_and_detail(api: httpx.AsyncClient) -> None:
    response = await api.get("/teapot")
    assert response.status_code == 418
    assert response.json()["detail"] == "Short and stout: use the kettle instead."


async def test_unknown_path_and_wrong_method_are_problems(api: httpx.AsyncClient) -> None:
    missing = await api.get("/nowhere")
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/problem+json")
    assert "/docs" in missing.json()["detail"]
    wrong = await api.delete("/things")
    assert (wrong.status_code, wrong.headers["content-type"]) == (405, "application/problem+json")
    assert wrong.headers["allow"]


async def test_unexpected_failure_answers_500_without_internals(api: httpx.AsyncClient) -> None:
    response = await api.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text
    assert "Traceback" not in response.text


async def test_oversized_body_is_refused_with_413(api: httpx.AsyncClient) -> None:
    big = {"name": "x" * 2000}
    response = await api.post("/things", json=big)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_oversized_chunked_body_is_refused_with_413(api: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(10):
            yield b"x" * 200
        yield b'"}'

    response = await api.post("/things", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


async def test_a_body_that_arrives_too_slowly_is_refused_with_408_and_the_connection_closed(
    api: httpx.AsyncClient,
) -> None:
    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        await asyncio.sleep(1)
        yield b'x"}'

    response = await api.post("/things", content=trickle(), headers={"content-type": "application/json"})
    assert response.status_code == 408
    assert response.headers["connection"] == "close"
    assert "did not arrive within 0.3 s" in response.json()["detail"]


async def test_a_body_within_the_limit_reaches_the_route_whole(api: httpx.AsyncClient) -> None:
    response = await api.post("/things", json={"name": "y" * 900})
    assert response.status_code == 200
    assert response.json() == {"name": "y" * 900}


def test_openapi_declares_every_error_as_problem_json() -> None:
    app = FastAPI()

    @app.get("/things")
    async def things(n: int = 1) -> dict[str, int]:
        return {"n": n}

    install_openapi(app)
    responses = app.openapi()["paths"]["/things"]["get"]["responses"]
    assert set(responses["422"]["content"]) == {"application/problem+json"}
    assert set(responses["default"]["content"]) == {"application/problem+json"}
    assert "HTTPValidationError" not in app.openapi()["components"]["schemas"]
