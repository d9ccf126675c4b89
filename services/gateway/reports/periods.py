"""The periods a report covers: the fiscal year to date and the same span one year earlier.

The fiscal year is taken to be the calendar year (Business Central's API v2.0 does not expose
the company's accounting periods to us yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both inclusive."""

    start: date
    end: date

    @property
    def opening(self) -> date:
        """The day before the period starts: balances brought forward are as at this day."""
        return self.start - timedelta(days=1)

    @property
    def label(self) -> str:
        """E.g. "1 Jan 2026 to 31 Oct 2026"."""
        return f"{_day(self.start)} to {_day(self.end)}"


@dataclass(frozen=True)
class ReportPeriod:
    """The period reported on and its comparative."""

    current: Period
    comparative: Period

    @property
    def ends_in_months(self) -> frozenset[str]:
        """The months (YYYY-MM) the two period ends fall in: the only ones needed day by day."""
        return frozenset(f"{p.end:%Y-%m}" for p in (self.current, self.comparative))


def report_period(period_end: date) -> ReportPeriod:
    """Year to date ending `period_end`, and the same span of the year before."""
    previous_end = _year_earlier(period_end)
    return ReportPeriod(
        current=Period(date(period_end.year, 1, 1), period_end),
        comparative=Period(date(previous_end.year, 1, 1), previous_end),
    )


def default_period_end(today: date) -> date:
    """The last day of the last complete month: the period accountants close and report on."""
    return today.replace(day=1) - timedelta(days=1)


def column_header(day: date) -> str:
    """A figure column's header, e.g. '31 Oct 2026'."""
    return _day(day)


def _year_earlier(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"
