"""Read-only queries over the aggregator's projections, always scoped to one accountant."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from shared.ids import AccountantId, CompanyId, row_id
from shared.mongo import Document


async def company_for(
    db: AsyncDatabase[Document], accountant: AccountantId, company_id: str
) -> tuple[Document, Document] | None:
    """The accountant's row and the company's details, or None when the company is not theirs
    (or does not exist: the two are indistinguishable on purpose)."""
    row = await db["dashboard_rows"].find_one({"_id": row_id(accountant, CompanyId(company_id))})
    if row is None:
        return None
    details = await db["company_details"].find_one({"_id": company_id}) or {}
    return row, details
