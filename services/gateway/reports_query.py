"""Reading one company's books for its reports from the aggregator's read models (read-only).

The chart and the aged reports are the aggregator's stored records (`agg_records`, kinds
`account`, `aged_receivables`, `aged_payables`); the movements are its monthly G/L buckets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from services.gateway.reports.books import Account, AgedLine, AgedReport, Books, DayMovement
from shared.mongo import Document
from shared.records import AgedBalance, LedgerAccount

ZERO = Decimal(0)


async def load_books(db: AsyncDatabase[Document], company_id: str, company_name: str) -> Books | None:
    """The company's chart, daily movements and aged reports; None before its accounts were synced."""
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
    buckets = db["agg_ledger_months"].find({"company_id": company_id}, {"account": 1, "month": 1, "days": 1})
    movements: dict[str, list[DayMovement]] = {}
    async for bucket in buckets:
        year, month = (int(part) for part in bucket["month"].split("-"))
        days = movements.setdefault(bucket["account"], [])
        for day, totals in bucket.get("days", {}).items():
            days.append(DayMovement(date(year, month, int(day)), totals["debit"], totals["credit"]))
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
