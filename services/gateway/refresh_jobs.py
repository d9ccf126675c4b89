"""Refresh jobs, owned by the gateway: which companies a refresh asked for and how each one went.

A job's progress comes from company.sync-status events that carry its correlation id
(`refresh:<job id>`): sync echoes the id of the command that caused a sync, so a company is
done or failed exactly when *this* refresh of it finished, whatever its clocks say and even when
it failed again with the same reason. The progress consumer writes one document per (job,
company) with `$setOnInsert`, so a redelivered event changes nothing. A company that never
answers (sync down, company gone) is reported failed when the job times out.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.ids import AccountantId
from shared.mongo import Document

Scope = Literal["company", "client", "selected", "all"]
CORRELATION_PREFIX = "refresh:"


class JobCompany(BaseModel):
    """One company of a refresh job and how its refresh went."""

    company_id: str
    company_name: str
    client_name: str
    state: Literal["pending", "done", "failed"]
    error: str | None = Field(default=None, description="why the refresh failed (failed only)")


class RefreshJob(BaseModel):
    """A refresh of one or more companies, with its progress."""

    id: str
    scope: Scope
    state: Literal["running", "finished"]
    total: int
    done: int
    failed: int
    pending: int
    companies: list[JobCompany]
    created_at: datetime


@dataclass(frozen=True)
class Outcome:
    """A sync outcome that answers a refresh job for one company."""

    job_id: str
    company_id: str
    failed: bool
    error: str | None


CLAIM_ATTEMPTS = 5


class RefreshClaimContendedError(Exception):
    """Identical refresh requests kept taking the claim from each other."""


def correlation_id(job_id: str) -> str:
    """The correlation id the job's commands carry (and sync echoes on the outcomes)."""
    return f"{CORRELATION_PREFIX}{job_id}"


def job_of(correlation: str) -> str | None:
    """The job a correlation id belongs to, or None when it is not a refresh's."""
    return (
        correlation.removeprefix(CORRELATION_PREFIX) if correlation.startswith(CORRELATION_PREFIX) else None
    )


def request_key(scope: Scope, company_ids: Sequence[str]) -> str:
    """Identical requests (same scope, same companies) have the same key."""
    return hashlib.sha256(f"{scope}|{'|'.join(sorted(company_ids))}".encode()).hexdigest()


class RefreshJobStore:
    """Refresh jobs (`gw_refresh_jobs`) and their per-company outcomes (`gw_refresh_progress`)."""

    def __init__(self, db: AsyncDatabase[Document], timeout: timedelta) -> None:
        self._jobs = db["gw_refresh_jobs"]
        self._claims = db["gw_refresh_claims"]
        self._progress = db["gw_refresh_progress"]
        self._timeout = timeout

    async def create_indexes(self) -> None:
        """Lookups by owner and time, progress by job."""
        await self._jobs.create_index([("owner", 1), ("created_at", -1)])
        await self._progress.create_index([("job_id", 1)])

    async def create(
        self, job_id: str, owner: AccountantId, scope: Scope, rows: Sequence[Document], now: datetime
    ) -> RefreshJob:
        """Remember a new job over these dashboard rows; returns it as created (every company pending)."""
        companies = [
            {
                "company_id": r["company_id"],
                "company_name": r["company_name"],
                "client_name": r["client_name"],
            }
            for r in rows
        ]
        doc: Document = {
            "_id": job_id,
            "owner": owner,
            "scope": scope,
            "request_key": request_key(scope, [c["company_id"] for c in companies]),
            "created_at": now,
            "companies": companies,
        }
        await self._jobs.insert_one(doc)
        return self._job(doc, {}, now)

    async def claim(
        self, job_id: str, owner: AccountantId, scope: Scope, company_ids: Sequence[str], now: datetime
    ) -> RefreshJob | None:
        """Make the created job `job_id` the owner's one running job for exactly these companies.

        Returns None when it is, else the running job that holds the claim (two identical requests
        at the same instant both pass `running_identical`; only one of them wins here). The claim is
        one document per (owner, request) changed only by a conditional write, so it is atomic on
        any MongoDB; a claim whose job finished or was forgotten is taken over.
        """
        claim_id = f"{owner}|{request_key(scope, company_ids)}"
        for _ in range(CLAIM_ATTEMPTS):
            current = await self._claims.find_one({"_id": claim_id})
            if current is None:
                try:
                    await self._claims.insert_one({"_id": claim_id, "job_id": job_id})
                except DuplicateKeyError:
                    continue
                return None
            holder = await self.get(owner, current["job_id"], now)
            if holder is not None and holder.state == "running":
                return holder
            taken = await self._claims.update_one(
                {"_id": claim_id, "job_id": current["job_id"]}, {"$set": {"job_id": job_id}}
            )
            if taken.modified_count == 1:
                return None
        raise RefreshClaimContendedError(claim_id)

    async def forget(self, job_id: str) -> None:
        """Drop a job whose commands could not be sent."""
        await self._jobs.delete_one({"_id": job_id})

    async def get(self, owner: AccountantId, job_id: str, now: datetime) -> RefreshJob | None:
        """The owner's job with its progress; None for anybody else's."""
        doc = await self._jobs.find_one({"_id": job_id, "owner": owner})
        return (await self._with_progress([doc], now))[0] if doc else None

    async def running_identical(
        self, owner: AccountantId, scope: Scope, company_ids: Sequence[str], now: datetime
    ) -> RefreshJob | None:
        """The owner's newest still-running job for exactly these companies, if any."""
        key = request_key(scope, company_ids)
        doc = await self._jobs.find_one(
            {"owner": owner, "request_key": key, "created_at": {"$gt": now - self._timeout}},
            sort=[("created_at", -1)],
        )
        if doc is None:
            return None
        job = (await self._with_progress([doc], now))[0]
        return job if job.state == "running" else None

    async def recent(self, owner: AccountantId, since: datetime, now: datetime) -> list[RefreshJob]:
        """The owner's jobs created since `since`, oldest first."""
        docs = (
            await self._jobs.find({"owner": owner, "created_at": {"$gt": since}})
            .sort("created_at", 1)
            .to_list()
        )
        return await self._with_progress(docs, now)

    async def retry_after(
        self, owner: AccountantId, limit: int, window: timedelta, now: datetime
    ) -> int | None:
        """Seconds until the owner may start another job, or None when under `limit` per `window`."""
        docs = (
            await self._jobs.find({"owner": owner, "created_at": {"$gt": now - window}}, {"created_at": 1})
            .sort("created_at", -1)
            .limit(limit)
            .to_list()
        )
        if len(docs) < limit:
            return None
        oldest: datetime = docs[-1]["created_at"]
        return max(1, math.ceil((oldest + window - now).total_seconds()))

    async def record(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Store each company's first outcome per job (a redelivered event changes nothing)."""
        if not outcomes:
            return
        writes = [
            UpdateOne(
                {"_id": f"{o.job_id}|{o.company_id}"},
                {
                    "$setOnInsert": {
                        "job_id": o.job_id,
                        "company_id": o.company_id,
                        "state": "failed" if o.failed else "done",
                        "error": o.error,
                        "at": now,
                    }
                },
                upsert=True,
            )
            for o in outcomes
        ]
        await self._progress.bulk_write(writes, ordered=False)

    async def _with_progress(self, docs: Sequence[Document], now: datetime) -> list[RefreshJob]:
        ids = [d["_id"] for d in docs]
        outcomes: dict[tuple[str, str], Document] = {
            (p["job_id"], p["company_id"]): p async for p in self._progress.find({"job_id": {"$in": ids}})
        }
        return [self._job(doc, outcomes, now) for doc in docs]

    def _job(self, doc: Document, outcomes: dict[tuple[str, str], Document], now: datetime) -> RefreshJob:
        timed_out = now - doc["created_at"] > self._timeout
        companies = []
        for company in doc["companies"]:
            outcome = outcomes.get((doc["_id"], company["company_id"]))
            if outcome is not None:
                state, error = outcome["state"], outcome.get("error")
            elif timed_out:
                seconds = int(self._timeout.total_seconds())
                state, error = "failed", f"no answer from sync within {seconds} s; try again"
            else:
                state, error = "pending", None
            companies.append(JobCompany(**company, state=state, error=error))
        done = sum(c.state == "done" for c in companies)
        failed = sum(c.state == "failed" for c in companies)
        pending = len(companies) - done - failed
        return RefreshJob(
            id=doc["_id"],
            scope=doc["scope"],
            state="running" if pending else "finished",
            total=len(companies),
            done=done,
            failed=failed,
            pending=pending,
            companies=companies,
            created_at=doc["created_at"],
        )
