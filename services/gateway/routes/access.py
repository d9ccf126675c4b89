"""Access grants: share one of your companies with an accountant of your firm, or take it back.

A firm is the domain of its accountants' work emails (ann@firm.example and bob@firm.example are
one firm). Changes travel as AccessGranted / AccessRevoked on access.events; the aggregator adds
or removes the colleague's dashboard row a moment later (hence 202).

Both the gateway and sync (from a connection's configured grantees) announce grants, and the
aggregator keeps the change with the highest `seq` per (company, accountant). The gateway's seq is
the change's time in microseconds since 1970, far above sync's per-company counters, so a change
made through this API wins over an older configured grant and a later change wins over an earlier one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.commands import CommandsUnavailableError
from services.gateway.deps import Commands, CurrentAccountant, Db
from services.gateway.schemas import Problem
from shared.events import AccessGranted, AccessRevoked
from shared.ids import AccountantId, CompanyId, accountant_id, row_id
from shared.topics import ACCESS_EVENTS

router = APIRouter(prefix="/api/v1/companies", tags=["access"])
NOT_FOUND = "No such company among yours: check the id on your dashboard."
CompanyPath = Annotated[str, Path(min_length=1, max_length=100, description="from the dashboard row")]
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s/]+@[^@\s/]+$")]
ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
    422: {"model": Problem},
    503: {"model": Problem},
}


class GrantIn(BaseModel):
    """The colleague (work email, same firm as you) who should see the company."""

    model_config = ConfigDict(extra="forbid", strict=True)

    accountant: Email


class AccessChange(BaseModel):
    """A grant or revocation on its way to the dashboards."""

    company_id: str
    accountant: str
    change: Literal["granted", "revoked"]


class Grantee(BaseModel):
    """An accountant of your firm who sees the company."""

    accountant: str


class CompanyAccess(BaseModel):
    """Who of your firm sees the company."""

    company_id: str
    accountants: list[Grantee]


def firm(accountant: str) -> str:
    """An accountant's firm: the domain of their work email."""
    return accountant.rsplit("@", 1)[-1].lower()


@router.get("/{company_id}/access", responses=ERRORS)
async def read_access(accountant: CurrentAccountant, db: Db, company_id: CompanyPath) -> CompanyAccess:
    """Who of your firm sees this company (as their dashboards show it now)."""
    await _own(db, accountant, company_id)
    rows = await db["dashboard_rows"].find({"company_id": company_id}, {"accountant_id": 1}).to_list()
    same_firm = sorted({r["accountant_id"] for r in rows if firm(r["accountant_id"]) == firm(accountant)})
    return CompanyAccess(company_id=company_id, accountants=[Grantee(accountant=a) for a in same_firm])


@router.post("/{company_id}/access", status_code=status.HTTP_202_ACCEPTED, responses=ERRORS)
async def grant_access(
    accountant: CurrentAccountant, db: Db, commands: Commands, company_id: CompanyPath, body: GrantIn
) -> AccessChange:
    """Let a colleague of your firm see this company too."""
    colleague = await _colleague(db, accountant, company_id, body.accountant)
    event = AccessGranted(company_id=CompanyId(company_id), seq=_seq(), accountant_id=colleague)
    await _publish(commands, event)
    return AccessChange(company_id=company_id, accountant=colleague, change="granted")


@router.delete("/{company_id}/access/{grantee}", status_code=status.HTTP_202_ACCEPTED, responses=ERRORS)
async def revoke_access(
    accountant: CurrentAccountant,
    db: Db,
    commands: Commands,
    company_id: CompanyPath,
    grantee: Annotated[str, Path(min_length=3, max_length=254, description="the colleague's work email")],
) -> AccessChange:
    """Stop a colleague of your firm (or yourself) from seeing this company."""
    colleague = await _colleague(db, accountant, company_id, grantee)
    event = AccessRevoked(company_id=CompanyId(company_id), seq=_seq(), accountant_id=colleague)
    await _publish(commands, event)
    return AccessChange(company_id=company_id, accountant=colleague, change="revoked")


async def _own(db: Db, accountant: AccountantId, company_id: str) -> None:
    if await db["dashboard_rows"].find_one({"_id": row_id(accountant, CompanyId(company_id))}) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)


async def _colleague(db: Db, accountant: AccountantId, company_id: str, email: str) -> AccountantId:
    await _own(db, accountant, company_id)
    colleague = accountant_id(email)
    if "@" not in colleague or firm(colleague) != firm(accountant):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"accountant: only accountants of your firm (@{firm(accountant)}) can see your companies.",
        )
    return colleague


async def _publish(commands: Commands, event: AccessGranted | AccessRevoked) -> None:
    try:
        await commands.publish(ACCESS_EVENTS, [event])
    except CommandsUnavailableError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="Access changes are unavailable right now; try again in a minute.",
            headers={"Retry-After": "30"},
        ) from None


def _seq() -> int:
    """Microseconds since 1970: later changes have larger seqs, above sync's per-company counters."""
    return int(datetime.now(UTC).timestamp() * 1_000_000)
