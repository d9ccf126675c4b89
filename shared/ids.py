"""Typed ids, so a company id is never passed where an accountant id belongs."""

from __future__ import annotations

from typing import NewType

CompanyId = NewType("CompanyId", str)
AccountantId = NewType("AccountantId", str)
"""An accountant is identified by their work email, lower-cased."""


def accountant_id(email: str) -> AccountantId:
    """The accountant id for a work email: trimmed and lower-cased."""
    return AccountantId(email.strip().lower())


def row_id(accountant: AccountantId, company_id: CompanyId) -> str:
    """The id of one accountant's dashboard row for one company (`dashboard_rows._id`, also the key of
    a grant): the aggregator writes rows by it, the gateway reads one by it."""
    return f"{accountant}|{company_id}"


def row_owner(row: str) -> tuple[AccountantId, CompanyId]:
    """Whose row, for which company, a row id names (company ids never hold the separator)."""
    accountant, _, company_id = row.rpartition("|")
    return AccountantId(accountant), CompanyId(company_id)
