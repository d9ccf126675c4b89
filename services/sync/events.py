"""Turning what a pull found into change events, each waiting for its per-company seq."""

from __future__ import annotations

from datetime import date

from services.sync.connectors.base import ChangedRecord
from services.sync.full_pass import deleted_events
from services.sync.ledger_feed import ledger_events
from services.sync.publishing import EventFactory
from services.sync.pulling import PulledChanges
from services.sync.task_feed import user_tasks_event
from shared.events import (
    AccountChanged,
    AgedPayablesReported,
    PurchaseInvoiceChanged,
    SalesDocumentChanged,
    SalesInvoiceChanged,
)
from shared.ids import CompanyId
from shared.records import LedgerAccount, PurchaseInvoice, SalesDocument, SalesInvoice


def record_events(company_id: CompanyId, pulled: PulledChanges, today: date) -> list[EventFactory]:
    """One event per changed or deleted record, per account, and one for the aged payables report."""
    factories = [_record_event(company_id, record) for record in pulled.fresh]
    factories += [_account_event(company_id, account) for account in pulled.accounts or []]
    if pulled.aged_payables is not None:
        vendors = tuple(pulled.aged_payables)
        factories.append(
            lambda seq: AgedPayablesReported(company_id=company_id, seq=seq, as_of=today, vendors=vendors)
        )
    factories += deleted_events(company_id, pulled.deletions)
    factories += user_tasks_event(company_id, pulled.user_tasks)
    return factories + ledger_events(company_id, pulled.ledger_entries, pulled.aged_receivables, today)


def _account_event(company_id: CompanyId, account: LedgerAccount) -> EventFactory:
    return lambda seq: AccountChanged(company_id=company_id, seq=seq, account=account)


def _record_event(company_id: CompanyId, record: ChangedRecord) -> EventFactory:
    match record:
        case SalesInvoice():
            return lambda seq: SalesInvoiceChanged(company_id=company_id, seq=seq, invoice=record)
        case PurchaseInvoice():
            return lambda seq: PurchaseInvoiceChanged(company_id=company_id, seq=seq, invoice=record)
        case SalesDocument():
            return lambda seq: SalesDocumentChanged(company_id=company_id, seq=seq, document=record)
