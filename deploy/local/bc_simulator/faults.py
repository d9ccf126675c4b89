"""Faults injected per company: an error status, garbage, truncated pages, or slow answers (tests,
benchmarks, demos)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

Truncation = Literal["connection", "body"]
"""How a truncated answer is cut. `connection`: the headers promise the whole page (Content-Length),
half of it is sent, then the connection closes — a network cut, or a proxy losing its upstream
mid-answer; the client sees an incomplete read. `body`: half the page with a Content-Length that
matches it — a proxy that buffered the cut answer and passed it on as complete; the client sees JSON
that stops part-way."""


@dataclass(frozen=True)
class Fault:
    """What a company's endpoints answer instead of the real thing: one of an error status, garbage
    (an HTML 200) or a truncated page; optionally only after `after` good answers and for `times`
    answers, after which the company heals itself (None: until told to heal)."""

    status_code: int | None = None
    garbage: bool = False
    truncated: Truncation | None = None
    after: int = 0
    times: int | None = None


class Faults:
    """What each company's endpoints are told to do instead of answering normally."""

    def __init__(self) -> None:
        self._faults: dict[UUID, Fault] = {}
        self._answers: dict[UUID, int] = {}
        self._delays: dict[UUID, float] = {}
        self._truncating: set[UUID] = set()

    @property
    def truncating(self) -> bool:
        """Whether any company is told to truncate its answers (else nothing needs to watch for it)."""
        return bool(self._truncating)

    def status(self, company_id: UUID) -> int | None:
        """The HTTP status the company's endpoints are told to answer with, if any."""
        fault = self._faults.get(company_id)
        return fault.status_code if fault else None

    def set(self, company_id: UUID, fault: Fault | None) -> None:
        """Answer with `fault` from now on (its `after` counts from now); None heals the company."""
        self._answers.pop(company_id, None)
        self._truncating.discard(company_id)
        if fault is None:
            self._faults.pop(company_id, None)
            return
        self._faults[company_id] = fault
        if fault.truncated is not None:
            self._truncating.add(company_id)

    def next_answer(self, company_id: UUID) -> Fault | None:
        """The fault that spoils the company's next answer, if any; counts the answer."""
        fault = self._faults.get(company_id)
        if fault is None:
            return None
        answers = self._answers[company_id] = self._answers.get(company_id, 0) + 1
        if answers <= fault.after:
            return None
        if fault.times is not None and answers - fault.after >= fault.times:
            self.set(company_id, None)  # this was the last spoiled answer
        return fault

    def delay(self, company_id: UUID) -> float:
        """Seconds the company's endpoints wait before answering."""
        return self._delays.get(company_id, 0.0)

    def slow(self, company_id: UUID, seconds: float) -> None:
        """Answer after `seconds` from now on (0: at once)."""
        self._delays[company_id] = seconds
