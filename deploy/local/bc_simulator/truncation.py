"""Truncated pages: a company's JSON answer cut half-way, as a network cut or a proxy leaves it.

A route that decides to spoil its answer (api.check_failure) orders the cut on the request; this
middleware then holds the answer back and sends half of it, framed as `faults.Truncation` says.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .faults import Faults, Truncation

_SCOPE_KEY = "bc_simulator.truncation"


@dataclass
class _Order:
    how: Truncation | None = None


def order_truncation(request: Request, how: Truncation) -> None:
    """Have this request's answer cut half-way (when it is a 200), as `how` says."""
    order = request.scope.get(_SCOPE_KEY)
    if isinstance(order, _Order):
        order.how = how


def cut(body: bytes) -> bytes:
    """The part of a body a truncated answer sends: its first half (at least one byte short)."""
    return body[: len(body) // 2]


class TruncationMiddleware:
    """Sends half of the answers a route ordered truncated; passes every other answer through."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app, self.faults = app, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults.truncating:  # the usual case costs one check
            await self.app(scope, receive, send)
            return
        order = _Order()
        scope[_SCOPE_KEY] = order
        held: list[Message] = []

        async def truncating(message: Message) -> None:
            starts = message["type"] == "http.response.start"
            if starts and order.how is not None and message["status"] == 200:
                held.append(message)
                return
            if not held:
                await send(message)
                return
            held.append(message)
            if not message.get("more_body", False) and order.how is not None:
                await _send_cut(send, held[0], b"".join(m.get("body", b"") for m in held[1:]), order.how)

        await self.app(scope, receive, truncating)


async def _send_cut(send: Send, start: Message, body: bytes, how: Truncation) -> None:
    part = cut(body)
    if how == "body":
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(part)).encode())]})
        await send({"type": "http.response.body", "body": part})
        return
    # The headers keep the whole body's Content-Length; returning without the last body message makes
    # the server close the connection part-way, as a network cut does.
    await send(start)
    await send({"type": "http.response.body", "body": part, "more_body": True})
