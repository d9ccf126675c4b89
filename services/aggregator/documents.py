"""How the aggregator's state looks in MongoDB: events -> guarded writes, documents -> state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.aggregator.changes import Grant, SyncStatus
from services.aggregator.guarded import GuardedUpsert
from services.aggregator.projections import CompanyFigures, CompanyState
from services.aggregator.records import RecordEvent, company_records, is_relevant, record_key, record_payload
from services.aggregator.tasks import counts_for
from shared.events import AccessGranted, CompanyDiscovered, CompanySyncFailed
from shared.ids import AccountantId, CompanyId, row_id
from shared.money import CurrencyTotal
from shared.mongo import Document, bson_safe


def record_write(event: RecordEvent) -> GuardedUpsert:
    """Upsert one record (invoice, document, account, report) unless a newer version is stored."""
    kind, record_id = record_key(event)
    doc = {
        "company_id": event.company_id,
        "kind": kind,
        "record_id": record_id,
        "relevant": is_relevant(event),
        "data": bson_safe(record_payload(event).model_dump()),
        "seq": event.seq,
    }
    key = f"{event.company_id}:{kind}:{record_id}"
    return GuardedUpsert(key, event.company_id, doc, guard="seq")


def profile_write(event: CompanyDiscovered) -> GuardedUpsert:
    """Upsert a company's profile unless a newer one is stored."""
    doc = {**event.company.model_dump(), "seq": event.seq}
    return GuardedUpsert(event.company_id, event.company_id, doc, guard="seq")


def status_writes(event: SyncStatus, last_success: datetime | None) -> list[GuardedUpsert]:
    """The newest sync outcome (guarded by seq) and the latest success time ($max: idempotent)."""
    error = event.reason if isinstance(event, CompanySyncFailed) else None
    company = event.company_id
    writes = [
        GuardedUpsert(
            company, company, {"status_seq": event.seq, "last_sync_error": error}, guard="status_seq"
        )
    ]
    if last_success is not None:
        writes.append(GuardedUpsert(company, company, {}, maximum={"last_synced_at": last_success}))
    return writes


def grant_write(event: Grant) -> GuardedUpsert:
    """Grant or revoke one accountant's access to one company unless a newer change is stored."""
    doc = {
        "company_id": event.company_id,
        "accountant_id": event.accountant_id,
        "granted": isinstance(event, AccessGranted),
        "seq": event.seq,
    }
    key = row_id(event.accountant_id, event.company_id)
    return GuardedUpsert(key, event.company_id, doc, guard="seq")


def state_from_documents(
    company_ids: Sequence[CompanyId],
    profiles: Sequence[Document],
    statuses: Sequence[Document],
    records: Sequence[Document],
    grants: Sequence[Document],
) -> list[CompanyState]:
    """Assemble each company's state from its stored documents."""
    profile_by_id = {d["_id"]: d for d in profiles}
    status_by_id = {d["_id"]: d for d in statuses}
    records_by_company: dict[str, list[tuple[str, Document]]] = {}
    for d in records:
        records_by_company.setdefault(d["company_id"], []).append((d["kind"], d["data"]))
    granted: dict[str, set[AccountantId]] = {}
    revoked: dict[str, set[AccountantId]] = {}
    for d in grants:
        (granted if d["granted"] else revoked).setdefault(d["company_id"], set()).add(
            AccountantId(d["accountant_id"])
        )
    states = []
    for company_id in company_ids:
        profile = profile_by_id.get(company_id, {})
        status = status_by_id.get(company_id, {})
        states.append(
            CompanyState(
                company_id=company_id,
                client_name=profile.get("client_name"),
                company_name=profile.get("company_name"),
                time_zone=profile.get("time_zone", "UTC"),
                web_url=profile.get("web_url"),
                last_synced_at=status.get("last_synced_at"),
                last_sync_error=status.get("last_sync_error"),
                records=company_records(records_by_company.get(company_id, [])),
                granted_to=frozenset(granted.get(company_id, set())),
                revoked_from=frozenset(revoked.get(company_id, set())),
            )
        )
    return states


def figures_document(f: CompanyFigures) -> Document:
    """A company's figures as stored in `company_figures`."""
    open_documents = f.open_sales_documents
    return {
        "company_id": f.company_id,
        "as_of": f.as_of.isoformat(),
        "time_zone": f.time_zone,
        "client_name": f.client_name or "",
        "company_name": f.company_name or "",
        "web_url": f.web_url,
        "overdue_sales": _totals(f.overdue_sales),
        "overdue_sales_count": _count(f.overdue_sales),
        "open_sales_documents": {
            **open_documents.model_dump(),
            "total": open_documents.total,
        },
        "purchase_due_next_week": _totals(f.purchase_due_next_week),
        "purchase_due_next_week_count": _count(f.purchase_due_next_week),
        "overdue_purchases": _totals(f.overdue_purchases),
        "overdue_purchases_count": _count(f.overdue_purchases),
        "cash": _totals(f.cash),
        "taxes_due": _totals(f.taxes_due),
        "last_synced_at": f.last_synced_at,
        "last_sync_error": f.last_sync_error,
    }


def details_document(f: CompanyFigures) -> Document:
    """A company's details (cash accounts, overdue lists, forecast) as stored in `company_details`."""
    return {"company_id": f.company_id, "as_of": f.as_of.isoformat(), **bson_safe(f.details.model_dump())}


def row_document(accountant: AccountantId, f: CompanyFigures) -> Document:
    """One accountant's dashboard row for one company, as stored in `dashboard_rows`."""
    counts = counts_for(f.tasks, accountant, f.as_of)
    return {
        "accountant_id": accountant,
        **figures_document(f),
        "my_tasks": counts.my_tasks,
        "my_overdue_tasks": counts.my_overdue_tasks,
    }


def _totals(totals: Sequence[CurrencyTotal]) -> list[Document]:
    return [t.model_dump() for t in totals]


def _count(totals: Sequence[CurrencyTotal]) -> int:
    return sum(t.count for t in totals)
