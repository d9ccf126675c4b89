"""How the gateway listens: uvicorn's h11 protocol with a deadline for each request's head.

uvicorn closes an idle keep-alive connection after `timeout_keep_alive`, but a connection that
opens and never sends, or sends its request line and headers a byte at a time (slowloris), is
kept open for ever. Here every connection must deliver a complete request head within
`header_timeout` seconds of opening (or of the previous response); otherwise it gets a 408 and
is closed. Slow bodies are the body-size middleware's job (`problems.BodySizeLimit`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

_TIMEOUT_BODY = json.dumps(
    {
        "title": "Request Timeout",
        "status": 408,
        "detail": "The request headers did not arrive in time; send the whole request at once.",
    }
).encode()
REQUEST_HEAD_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: application/problem+json\r\n"
    b"content-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TIMEOUT_BODY
)


class HeadDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request head is late (408)."""

    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_deadline()  # the next request's head has the same time to arrive

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        self._head_deadline = self.loop.call_later(self.header_timeout, self._head_deadline_passed)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_deadline_passed(self) -> None:
        self._head_deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request arrived and is being answered: its body has its own deadline
        self.logger.info("Request head not received within %ss; closing the connection.", self.header_timeout)
        self.transport.write(REQUEST_HEAD_TIMEOUT_RESPONSE)
        self.transport.close()


def head_deadline_protocol(header_timeout: float) -> type[HeadDeadlineProtocol]:
    """The protocol class for `uvicorn.run(http=...)` with this deadline for a request's head."""
    return type("HeadDeadlineProtocol", (HeadDeadlineProtocol,), {"header_timeout": header_timeout})
