"""Faults injected per company: an error status, garbage, or slow answers (tests, benchmarks, demos)."""

from __future__ import annotations

from uuid import UUID


class Faults:
    """What each company's endpoints are told to do instead of answering normally."""

    def __init__(self) -> None:
        self._statuses: dict[UUID, int] = {}
        self._delays: dict[UUID, float] = {}
        self._garbled: set[UUID] = set()

    def status(self, company_id: UUID) -> int | None:
        """The HTTP status the company's endpoints answer with, if any."""
        return self._statuses.get(company_id)

    def fail(self, company_id: UUID, status_code: int | None) -> None:
        """Answer `status_code` from now on; None heals the company."""
        if status_code is None:
            self._statuses.pop(company_id, None)
        else:
            self._statuses[company_id] = status_code

    def delay(self, company_id: UUID) -> float:
        """Seconds the company's endpoints wait before answering."""
        return self._delays.get(company_id, 0.0)

    def slow(self, company_id: UUID, seconds: float) -> None:
        """Answer after `seconds` from now on (0: at once)."""
        self._delays[company_id] = seconds

    def garbled(self, company_id: UUID) -> bool:
        """Whether the company's endpoints answer 200 with a body that is not what BC sends."""
        return company_id in self._garbled

    def garble(self, company_id: UUID, on: bool) -> None:
        """Answer garbage from now on (`on`), or answer normally again."""
        if on:
            self._garbled.add(company_id)
        else:
            self._garbled.discard(company_id)
