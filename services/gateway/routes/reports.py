"""Ready-to-print Excel workbooks of a company's financial statements, for the accountants granted it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from services.gateway.deps import CurrentAccountant, Db
from services.gateway.reports.catalog import REPORTS, ReportName, statements_for
from services.gateway.reports.periods import default_period_end, report_period
from services.gateway.reports.workbook import WorkbookMeta, write_workbook
from services.gateway.reports_query import load_books
from services.gateway.schemas import Problem
from shared.dates import company_today
from shared.ids import AccountantId, CompanyId, row_id
from shared.mongo import Document

router = APIRouter(prefix="/api/v1/companies", tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_FOUND = "No such company among yours: check the id on your dashboard."
NOT_SYNCED = "This company's ledger has not been synced yet: try again after its first sync."
CompanyIdPath = Annotated[str, Path(min_length=1, max_length=100, description="from the dashboard row")]


class ReportLink(BaseModel):
    """A workbook that can be downloaded for the company."""

    name: str
    title: str
    url: str


class ReportList(BaseModel):
    """Every workbook offered for the company."""

    reports: list[ReportLink]


@router.get("/{company_id}/reports", responses={401: {"model": Problem}, 404: {"model": Problem}})
async def list_reports(accountant: CurrentAccountant, db: Db, company_id: CompanyIdPath) -> ReportList:
    """The workbooks offered for a company (add `?period_end=YYYY-MM-DD` to a url to choose the period)."""
    await _granted_row(db, accountant, company_id)
    base = f"/api/v1/companies/{company_id}/reports"
    return ReportList(
        reports=[ReportLink(name=r.name, title=r.title, url=f"{base}/{r.name}.xlsx") for r in REPORTS]
    )


@router.get(
    "/{company_id}/reports/{name}.xlsx",
    response_class=Response,
    responses={
        200: {"content": {XLSX: {}}, "description": "the workbook"},
        401: {"model": Problem},
        404: {"model": Problem},
        409: {"model": Problem},
        422: {"model": Problem},
    },
)
async def download_report(
    accountant: CurrentAccountant,
    db: Db,
    company_id: CompanyIdPath,
    name: Annotated[ReportName, Path(description="which workbook; financial-statements has every sheet")],
    period_end: Annotated[
        date | None,
        Query(description="last day of the period (YYYY-MM-DD); default: the end of the last complete month"),
    ] = None,
) -> Response:
    """A ready-to-print workbook: year to date to `period_end`, beside the same span a year earlier."""
    row = await _granted_row(db, accountant, company_id)
    company_name = str(row.get("company_name") or company_id)
    now = datetime.now(UTC)
    end = period_end or default_period_end(company_today(str(row.get("time_zone") or "UTC"), now))
    period = report_period(end)
    books = await load_books(db, company_id, company_name, period.ends_in_months)
    if books is None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=NOT_SYNCED)
    meta = WorkbookMeta(company_name, f"Year to date {period.current.label}", now)
    content = await run_in_threadpool(lambda: write_workbook(statements_for(name, books, end), meta))
    filename = f"{_slug(company_name)}-{name}-{end.isoformat()}.xlsx"
    return Response(
        content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


async def _granted_row(db: Db, accountant: AccountantId, company_id: str) -> Document:
    """The accountant's dashboard row for the company; 404 when it is not theirs (or does not exist)."""
    row = await db["dashboard_rows"].find_one({"_id": row_id(accountant, CompanyId(company_id))})
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
    return row


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "company"
