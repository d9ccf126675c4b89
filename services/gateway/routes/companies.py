"""One company's details, for the accountant it was granted to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from services.gateway.deps import CurrentAccountant, Db
from services.gateway.queries import company_for
from services.gateway.schemas import CompanyDetailsOut, DashboardRow, Problem

router = APIRouter(prefix="/api/v1/companies", tags=["companies"])
NOT_FOUND = "No such company among yours: check the id on your dashboard."


@router.get("/{company_id}", responses={401: {"model": Problem}, 404: {"model": Problem}})
async def read_company(
    accountant: CurrentAccountant,
    db: Db,
    company_id: Annotated[str, Path(min_length=1, max_length=100, description="from the dashboard row")],
) -> CompanyDetailsOut:
    """Cash per account, overdue sales and purchase invoices with links, and the 13-week forecast."""
    found = await company_for(db, accountant, company_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
    row, details = found
    return CompanyDetailsOut.model_validate({**details, "row": DashboardRow.model_validate(row)})
