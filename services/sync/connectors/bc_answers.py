"""Reading Business Central's answers: whole JSON bodies with exact amounts, and words for what went wrong.

A 200 can still be unusable: its body cut off part-way (a network cut or a proxy: the connection
closes before the promised Content-Length, or the JSON simply stops), or not JSON at all (a proxy's
or sign-in page). Both are usually passing, so they are `UnusableAnswerError`s, which the client
retries like a 503; nothing of such an answer is ever used.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx

from services.sync.connectors.base import ClientSystemError

_CORRELATION_ID = re.compile(r"\s*CorrelationId:\s*[0-9a-fA-F-]{36}\.?")
_KEY = re.compile(r"\(.*\)$")
_STRUCTURE = re.compile(r"[{}\[\],:\"<>\s]")
_LONGEST_CUT_TOKEN = 5  # "false", or an escape's "u00e9"
_IF_IT_PERSISTS = "will retry; if this persists, check the network or proxy between the hub and that system"


class UnusableAnswerError(ClientSystemError):
    """The client's system answered, but the body cannot be used (cut off, or not JSON); asking again
    may well work. The message says which resource and why, for the company's row."""


def incomplete_read(response: httpx.Response, error: httpx.RequestError) -> UnusableAnswerError:
    """The answer's headers came but its body stopped part-way (`error` while reading it)."""
    if isinstance(error, httpx.DecodingError):
        return _incomplete(response, "its compressed body would not decode")
    how = "the answer stalled" if isinstance(error, httpx.TimeoutException) else "the connection closed"
    return _incomplete(response, f"{how} before the whole page arrived")


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object (amounts as Decimal, never float); else an UnusableAnswerError."""
    text = response.text
    try:
        parsed = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise _unparsable(response, text, error) from None
    if not isinstance(parsed, dict):
        raise _not_json(response, "JSON but not an object")
    return parsed


def describe(response: httpx.Response) -> str:
    """HTTP status plus BC's own error code and message, for the dashboard row.

    BC ends messages with a per-response `CorrelationId: <uuid>`; it is dropped so that the same
    failure reads the same on every pass (and is not re-announced each time).
    """
    try:
        error = response.json().get("error", {})
        message = _CORRELATION_ID.sub("", str(error.get("message", ""))).strip()
        detail = f"{error.get('code', '')}: {message}".strip(": ")
    except (ValueError, AttributeError):
        detail = response.reason_phrase
    return f"HTTP {response.status_code} from the client's system ({detail or 'no detail'})"


def resource(url: httpx.URL) -> str:
    """The entity set or page an URL reads (`salesInvoices`, `AccountantPortalUserTasks`)."""
    last = urlsplit(str(url)).path.rstrip("/").rsplit("/", 1)[-1]
    return _KEY.sub("", last) or "the client's system"


def _unparsable(response: httpx.Response, text: str, error: json.JSONDecodeError) -> UnusableAnswerError:
    """JSON that stops at its very end was cut off; anything else is not JSON."""
    is_json = "json" in response.headers.get("content-type", "")
    if is_json and text.lstrip().startswith(("{", "[")) and _stops_part_way(text, error):
        return _incomplete(response, "the JSON stops part-way")
    return _not_json(response, "not JSON")


def _stops_part_way(text: str, error: json.JSONDecodeError) -> bool:
    """Whether the parser failed only because the text ended: in a string that never closes, or within
    the last few characters of a number, literal or escape that the end cut short."""
    if error.msg.startswith("Unterminated string"):
        return True
    tail = text[error.pos :].rstrip()
    return len(tail) <= _LONGEST_CUT_TOKEN and not _STRUCTURE.search(tail)


def _incomplete(response: httpx.Response, how: str) -> UnusableAnswerError:
    # No sizes or ids in the words: the same fault reads the same on every pass (announced once).
    return UnusableAnswerError(
        f"the client's system sent an incomplete answer for {resource(response.request.url)} "
        f"(truncated page: {how}); {_IF_IT_PERSISTS}"
    )


def _not_json(response: httpx.Response, what: str) -> UnusableAnswerError:
    kind = response.headers.get("content-type", "no content type")
    return UnusableAnswerError(
        f"HTTP {response.status_code} from the client's system for {resource(response.request.url)} was "
        f"{what} ({kind}; a proxy or sign-in page in the way?); {_IF_IT_PERSISTS}"
    )
