"""Reading one company's books for its reports from the aggregator's read models (read-only).

The chart and the aged reports are the aggregator's stored records (`agg_records`, kinds
`account`, `aged_receivables`, `aged_payables`); the movements are its G/L read models
(`agg_ledger_months`: totals per account and month; `agg_ledger_days`: daily totals).
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.gateway.reports.books import Account, AgedLine, AgedReport, Books, DayMovement
from shared.mongo import Document
from shared.records import AgedBalance, LedgerAccount

ZERO = Decimal(0)


async def load_books(
    db: AsyncDatabase[Document], company_id: str, company_name: str, detail_months: Collection[str]
) -> Books | None:
    """The company's chart, movements and aged reports; None before its accounts were synced.

    `detail_months` (YYYY-MM) are read day by day; every other month as its totals, dated on its
    last day. That is exact for every date a statement asks about as long as the period ends fall
    in `detail_months`: the rest are month ends (openings) or the day before a year start."""
    records = db["agg_records"]
    stored = await records.find(
        {"company_id": company_id, "kind": {"$in": ["account", "aged_receivables", "aged_payables"]}}
    ).to_list()
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for doc in stored:
        by_kind.setdefault(doc["kind"], []).append(doc["data"])
    accounts = [LedgerAccount.model_validate(d) for d in by_kind.get("account", [])]
    if not accounts:
        return None
    movements = await _movements(db, company_id, detail_months)
    return Books(
        company_name=company_name,
        currency=accounts[0].currency,
        accounts=tuple(
            Account(a.number, a.name, a.category, a.sub_category)
            for a in sorted(accounts, key=lambda a: a.number)
            if a.posting
        ),
        movements=movements,
        receivables=_aged(by_kind.get("aged_receivables"), "customers"),
        payables=_aged(by_kind.get("aged_payables"), "vendors"),
    )


async def _movements(
    db: AsyncDatabase[Document], company_id: str, detail_months: Collection[str]
) -> dict[str, list[DayMovement]]:
    movements: dict[str, list[DayMovement]] = {}
    async for month in db["agg_ledger_months"].find({"company_id": company_id}):
        if month["month"] not in detail_months:
            day = _month_end(month["month"])
            movements.setdefault(month["account"], []).append(
                DayMovement(day, month["debit"], month["credit"])
            )
    detail = {"company_id": company_id, "month": {"$in": sorted(detail_months)}}
    async for daily in db["agg_ledger_days"].find(detail):
        first = _month_end(daily["month"]).replace(day=1)
        days = movements.setdefault(daily["account"], [])
        for day, debit, credit in zip(daily["days"], daily["debit"], daily["credit"], strict=True):
            days.append(DayMovement(first.replace(day=day), debit, credit))
    return movements


def _month_end(month: str) -> date:
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, calendar.monthrange(year, number)[1])


def _aged(stored: list[Mapping[str, Any]] | None, field: str) -> AgedReport:
    if not stored:
        return AgedReport()
    report = stored[0]
    as_of = report.get("as_of")
    lines = tuple(_aged_line(AgedBalance.model_validate(line)) for line in report.get(field, []))
    return AgedReport(date.fromisoformat(as_of) if as_of else None, lines)


def _aged_line(line: AgedBalance) -> AgedLine:
    """A line without reported buckets shows its whole overdue amount as 1-30 days (and is marked)."""
    periods = (line.period1_amount, line.period2_amount, line.period3_amount)
    if any(p is None for p in periods):
        overdue = line.balance_due - line.current_amount
        return AgedLine(
            line.number, line.name, line.currency, line.current_amount, overdue, ZERO, ZERO, False
        )
    p1, p2, p3 = (p or ZERO for p in periods)
    return AgedLine(line.number, line.name, line.currency, line.current_amount, p1, p2, p3)
