"""How the aggregator's state looks in MongoDB: events -> guarded writes, documents -> state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import UpdateOne

from services.aggregator.changes import Grant, SyncStatus
from services.aggregator.projections import CompanyFigures, CompanyState, OpenInvoice
from shared.events import (
    AccessGranted,
    CompanyDiscovered,
    CompanySyncFailed,
    SalesInvoiceChanged,
    SalesInvoiceStatus,
)
from shared.ids import AccountantId, CompanyId
from shared.mongo import Document


def _older_than(seq: int, field: str = "seq") -> Document:
    """Matches a stored record that is older than `seq`, or has none yet."""
    return {field: {"$not": {"$gte": seq}}}


def invoice_write(event: SalesInvoiceChanged) -> UpdateOne:
    """Upsert one sales invoice unless a newer version is stored."""
    inv = event.invoice
    doc = {
        "company_id": event.company_id,
        "invoice_id": inv.id,
        "number": inv.number,
        "status": inv.status.value,
        "due_date": inv.due_date.isoformat() if inv.due_date else None,
        "currency": inv.currency,
        "remaining_amount": inv.remaining_amount,
        "total_amount": inv.total_amount,
        "web_url": inv.web_url,
        "seq": event.seq,
    }
    key = f"{event.company_id}:{inv.id}"
    return UpdateOne({"_id": key, **_older_than(event.seq)}, {"$set": doc}, upsert=True)


def profile_write(event: CompanyDiscovered) -> UpdateOne:
    """Upsert a company's profile unless a newer one is stored."""
    doc = {**event.company.model_dump(), "seq": event.seq}
    return UpdateOne({"_id": event.company_id, **_older_than(event.seq)}, {"$set": doc}, upsert=True)


def status_writes(event: SyncStatus, last_success: datetime | None) -> list[UpdateOne]:
    """The newest sync outcome (guarded by seq) and the latest success time ($max: idempotent)."""
    error = event.reason if isinstance(event, CompanySyncFailed) else None
    writes = [
        UpdateOne(
            {"_id": event.company_id, **_older_than(event.seq, "status_seq")},
            {"$set": {"status_seq": event.seq, "last_sync_error": error}},
            upsert=True,
        )
    ]
    if last_success is not None:
        writes.append(
            UpdateOne({"_id": event.company_id}, {"$max": {"last_synced_at": last_success}}, upsert=True)
        )
    return writes


def grant_write(event: Grant) -> UpdateOne:
    """Grant or revoke one accountant's access to one company unless a newer change is stored."""
    doc = {
        "company_id": event.company_id,
        "accountant_id": event.accountant_id,
        "granted": isinstance(event, AccessGranted),
        "seq": event.seq,
    }
    key = row_id(event.accountant_id, event.company_id)
    return UpdateOne({"_id": key, **_older_than(event.seq)}, {"$set": doc}, upsert=True)


def state_from_documents(
    company_ids: Sequence[CompanyId],
    profiles: Sequence[Document],
    statuses: Sequence[Document],
    invoices: Sequence[Document],
    grants: Sequence[Document],
) -> list[CompanyState]:
    """Assemble each company's state from its stored documents."""
    profile_by_id = {d["_id"]: d for d in profiles}
    status_by_id = {d["_id"]: d for d in statuses}
    invoices_by_company: dict[str, list[OpenInvoice]] = {}
    for d in invoices:
        invoices_by_company.setdefault(d["company_id"], []).append(_open_invoice(d))
    granted: dict[str, set[AccountantId]] = {}
    for d in grants:
        granted.setdefault(d["company_id"], set()).add(AccountantId(d["accountant_id"]))
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
                invoices=tuple(sorted(invoices_by_company.get(company_id, []), key=_by_id)),
                granted_to=frozenset(granted.get(company_id, set())),
            )
        )
    return states


def _open_invoice(d: Document) -> OpenInvoice:
    due = d.get("due_date")
    return OpenInvoice(
        invoice_id=d["invoice_id"],
        status=SalesInvoiceStatus(d["status"]),
        due_date=datetime.fromisoformat(due).date() if due else None,
        currency=d["currency"],
        remaining_amount=d["remaining_amount"],
    )


def _by_id(invoice: OpenInvoice) -> str:
    return invoice.invoice_id


def row_id(accountant: AccountantId, company_id: CompanyId) -> str:
    """The id of one accountant's row for one company."""
    return f"{accountant}|{company_id}"


def figures_document(f: CompanyFigures) -> Document:
    """A company's figures as stored in `company_figures`."""
    return {
        "company_id": f.company_id,
        "as_of": f.as_of.isoformat(),
        "time_zone": f.time_zone,
        "client_name": f.client_name or "",
        "company_name": f.company_name or "",
        "web_url": f.web_url,
        "overdue_sales": [t.model_dump() for t in f.overdue_sales],
        "overdue_sales_count": sum(t.count for t in f.overdue_sales),
        "last_synced_at": f.last_synced_at,
        "last_sync_error": f.last_sync_error,
    }


def row_document(accountant: AccountantId, f: CompanyFigures) -> Document:
    """One accountant's dashboard row for one company, as stored in `dashboard_rows`."""
    return {"accountant_id": accountant, **figures_document(f)}
