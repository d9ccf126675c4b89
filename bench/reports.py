"""Reports: the full financial-statements workbook of a company with 100,000 G/L entries, read from
the aggregator's monthly buckets on a real MongoDB server, beside a baseline measured in the same run:
summing the same entries raw (Decimal, per account) and writing the same number of cells with
XlsxWriter, no formats, no formulas, no statements."""

from __future__ import annotations

import asyncio
import io
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from bench.results import Baseline, Target, record
from deploy.local.mongo import MongoServer, start_mongo
from services.aggregator.ledger import MongoLedgerStore
from services.gateway.reports.catalog import ALL, statements_for
from services.gateway.reports.periods import report_period
from services.gateway.reports.workbook import WorkbookMeta, write_workbook
from services.gateway.reports_query import load_books
from services.sync.ledger_feed import ENTRIES_PER_EVENT
from shared.ids import CompanyId
from shared.mongo import connect, database
from tests.report_books import MOMENT, entries_of, ledger_entry, posted, postings, store_chart

ENTRIES = 100_000
EVENTS_PER_BATCH = 10
ROUNDS = 5
DB = "bench_reports"
COMPANY = CompanyId("bench-company")
PERIOD_END = date(2026, 10, 31)
START = date(2024, 1, 1)


def entries() -> list[tuple[str, date, Decimal, Decimal]]:
    """At least 100,000 G/L entries (whole postings, so the books balance) over nearly three years."""
    posted = sorted(postings(ENTRIES // 2, START, (PERIOD_END - START).days), key=lambda p: p.day)
    raw: list[tuple[str, date, Decimal, Decimal]] = []
    for posting in posted:  # in posting-date order, as Business Central numbers its entries
        raw += entries_of([posting])
        if len(raw) >= ENTRIES:
            return raw
    return raw


async def seed(mongo: MongoServer, raw: list[tuple[str, date, Decimal, Decimal]]) -> dict[str, float]:
    """The chart, then every entry through the aggregator's ledger store, a Kafka batch at a time."""
    client = connect(mongo.url, app_name="bench")
    db = database(client, DB)
    store = MongoLedgerStore(db)
    await store.create_indexes()
    await store_chart(db, COMPANY)
    entries = [ledger_entry(n, e) for n, e in enumerate(raw, 1)]
    events = [
        posted(COMPANY, 1 + start // ENTRIES_PER_EVENT, entries[start : start + ENTRIES_PER_EVENT])
        for start in range(0, len(entries), ENTRIES_PER_EVENT)
    ]
    started = time.perf_counter()
    for start in range(0, len(events), EVENTS_PER_BATCH):
        await store.add_entries(events[start : start + EVENTS_PER_BATCH])
    ingest = time.perf_counter() - started
    buckets = await db["agg_ledger_months"].count_documents({"company_id": COMPANY})
    await client.close()
    return {"ingest_seconds": round(ingest, 1), "month_documents": buckets}


async def full_workbook(mongo: MongoServer) -> tuple[float, dict[str, Any]]:
    """Seconds from the database to the workbook's bytes: load the books, compute, write."""
    client = connect(mongo.url, app_name="bench")
    db = database(client, DB)
    started = time.perf_counter()
    books = await load_books(db, COMPANY, "Bench Company Ltd", report_period(PERIOD_END).ends_in_months)
    loaded = time.perf_counter()
    assert books is not None
    statements = statements_for(ALL, books, PERIOD_END)
    computed = time.perf_counter()
    meta = WorkbookMeta(books.company_name, report_period(PERIOD_END).current.label, MOMENT)
    data = write_workbook(statements, meta)
    done = time.perf_counter()
    await client.close()
    problems = [p for s in statements for p in s.differences()]
    assert not problems, problems
    cells = sum(len(s.rows) * (2 + len(s.columns)) for s in statements)
    parts = {"load_ms": (loaded - started) * 1000, "compute_ms": (computed - loaded) * 1000}
    return done - started, {**parts, "write_ms": (done - computed) * 1000, "cells": cells, "bytes": len(data)}


def baseline(raw: list[tuple[str, date, Decimal, Decimal]], cells: int) -> float:
    """Seconds to sum the entries per account in Decimal and write `cells` plain numbers with XlsxWriter."""
    started = time.perf_counter()
    totals: dict[str, Decimal] = {}
    for account, day, debit, credit in raw:
        if day <= PERIOD_END:
            totals[account] = totals.get(account, Decimal(0)) + debit - credit
    book = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    sheet = book.add_worksheet()
    for n in range(cells):
        sheet.write_number(n // 6, n % 6, float(totals.get("10100", Decimal(0))))
    book.close()
    return time.perf_counter() - started


def main() -> None:
    """Seed 100,000 entries, then time the workbook and the baseline, ROUNDS times each."""
    raw = entries()
    work = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    mongo = start_mongo(work / "mongo", log_path=work / "mongo.log")
    try:
        seeded = asyncio.run(seed(mongo, raw))
        asyncio.run(full_workbook(mongo))  # warm-up
        runs = [asyncio.run(full_workbook(mongo)) for _ in range(ROUNDS)]
    finally:
        mongo.stop()
    seconds = statistics.median(r[0] for r in runs)
    cells = int(runs[0][1]["cells"])
    baselines = [baseline(raw, cells) for _ in range(ROUNDS)]
    details = {
        "entries": len(raw),
        "days": (PERIOD_END - START).days,
        "rounds": ROUNDS,
        **seeded,
        **{
            k: round(statistics.median(r[1][k] for r in runs), 1)
            for k in ("load_ms", "compute_ms", "write_ms")
        },
        "cells": cells,
        "workbook_bytes": runs[0][1]["bytes"],
    }
    result = record(
        name="reports-full-workbook",
        figure="seconds from MongoDB to the full financial-statements workbook (100,000 G/L entries)",
        value=seconds,
        unit="s",
        baseline=Baseline(
            name="sum the same entries raw (Decimal) + write as many plain cells with XlsxWriter",
            value=round(statistics.median(baselines), 4),
        ),
        target=Target(value_at_most=2.0),
        details=details,
        command="make bench NAME=reports",
    )
    print(result.model_dump_json(indent=2), file=sys.stdout)
