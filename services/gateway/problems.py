"""RFC 9457 problem details for every error the gateway answers, and a request size limit.

Every error body is `application/problem+json` with `title`, `status` and a `detail` that says
what to do next; bad input also lists each offending field (`errors[].field`) and, for a closed
set of values, the values allowed. Nothing internal (stack traces, exception text) ever leaks.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.schemas import FieldError, Problem

log = structlog.get_logger()
PROBLEM_JSON = "application/problem+json"
CLOSE = {"connection": "close"}  # the rest of a refused body is never read
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


class ProblemResponse(JSONResponse):
    """A JSON response with the problem media type."""

    media_type = PROBLEM_JSON


def problem(
    status: int,
    detail: str,
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    """A problem+json response; `title` is the HTTP status phrase."""
    body = Problem(
        title=_phrase(status), status=status, detail=detail, errors=list(errors) or None
    ).model_dump(exclude_none=True)
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """Pydantic/FastAPI validation errors as named fields, with allowed values for closed sets."""
    named = []
    for error in errors:
        location, *path = [str(part) for part in error.get("loc", ())] or ["body"]
        field = ".".join(p for p in path if not p.isdigit()) or location
        expected = (error.get("ctx") or {}).get("expected")
        allowed = _QUOTED.findall(expected) if isinstance(expected, str) else []
        named.append(
            FieldError(field=field, location=location, message=error["msg"], allowed=allowed or None)
        )
    return named


def validation_detail(errors: Sequence[FieldError]) -> str:
    """One sentence naming every bad field (and what it may be)."""
    parts = []
    for error in errors:
        hint = f" (allowed: {', '.join(error.allowed)})" if error.allowed else ""
        parts.append(f"{error.field}: {error.message}{hint}")
    return "; ".join(dict.fromkeys(parts)) + "."


def install_problem_handlers(app: FastAPI, max_body_bytes: int, body_timeout_seconds: float = 20.0) -> None:
    """Every error as problem+json: HTTP errors, bad input, oversized or late bodies and unexpected
    failures."""

    async def http_error(_: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type only
        detail = exc.detail if isinstance(exc.detail, str) else _phrase(exc.status_code)
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such resource: check the path against the API docs at /docs."
        if exc.status_code == 405:
            detail = "This method is not allowed here: see the methods listed in the Allow header."
        return problem(exc.status_code, detail, headers=exc.headers)

    async def bad_input(_: Request, exc: Exception) -> ProblemResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
        errors = field_errors(exc.errors())
        return problem(422, validation_detail(errors), errors)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, bad_input)
    app.add_middleware(CatchAll)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes, timeout=body_timeout_seconds)


class CatchAll:
    """Logs an unexpected failure with its trace and answers a 500 problem that reveals nothing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("request_failed", method=scope.get("method"), path=scope.get("path"))
            if started:
                raise
            detail = "Something went wrong on our side; it was logged. Try again, and if it persists tell us."
            await problem(500, detail)(scope, receive, send)


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` with 413: by Content-Length, or by reading a chunked
    body up to the limit first (bodies of this API are small, so buffering them costs little); and a
    body that has not fully arrived within `timeout` seconds (a slow or lying client) with 408.
    Both answers close the connection, so the rest of such a body is never read."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 20.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        body = b""
        more = True
        try:
            async with asyncio.timeout(self.timeout):
                while more:
                    message = await receive()
                    if message["type"] != "http.request":
                        break
                    body += message.get("body", b"")
                    more = bool(message.get("more_body", False))
                    if len(body) > self.max_bytes:
                        break
        except TimeoutError:
            detail = f"The request body did not arrive within {self.timeout:g} s; send it at once."
            await problem(408, detail, headers=CLOSE)(scope, receive, send)
            return
        if len(body) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"The request body is larger than {self.max_bytes} bytes; send less."
        await problem(413, detail, headers=CLOSE)(scope, receive, send)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
