"""Which stored record an event is about, whether figures read it, and typed records back from storage.

Every record-carrying event is stored the same way: one document per (company, kind, id),
guarded by seq. `relevant` marks the ones some figure reads, so loads stay small while paid
invoices and the like are still kept (a stale event must not bring them back).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel

from shared.events import (
    AccountChanged,
    AgedPayablesReported,
    AgedReceivablesReported,
    PurchaseInvoiceChanged,
    RecordDeleted,
    SalesDocumentChanged,
    SalesInvoiceChanged,
)
from shared.records import (
    AgedBalance,
    LedgerAccount,
    PurchaseInvoice,
    SalesDocument,
    SalesInvoice,
    SalesInvoiceStatus,
)

RecordEvent = (
    SalesInvoiceChanged
    | PurchaseInvoiceChanged
    | SalesDocumentChanged
    | RecordDeleted
    | AccountChanged
    | AgedPayablesReported
    | AgedReceivablesReported
)
RECORD_EVENTS = (
    SalesInvoiceChanged,
    PurchaseInvoiceChanged,
    SalesDocumentChanged,
    RecordDeleted,
    AccountChanged,
    AgedPayablesReported,
    AgedReceivablesReported,
)
M = TypeVar("M", bound=BaseModel)
AGED_PAYABLES_ID = AGED_REPORT_ID = "report"
OPEN_QUOTE = {"Draft", "Sent", "Accepted"}
OPEN_CREDIT_MEMO = {"Draft", "In Review", "Open"}
UNFINISHED_INVOICE = {SalesInvoiceStatus.DRAFT, SalesInvoiceStatus.IN_REVIEW}


class Deleted(BaseModel):
    """What is kept of a deleted record: a tombstone, so that an older change arriving late (lower
    seq) cannot bring it back; never read by a figure."""

    id: str
    deleted: bool = True


class AgedPayables(BaseModel):
    """The stored aged payables report of a company."""

    vendors: tuple[AgedBalance, ...]
    as_of: date | None = None


class AgedReceivables(BaseModel):
    """The stored aged receivables report of a company (read by the reports, not by any figure)."""

    customers: tuple[AgedBalance, ...]
    as_of: date | None = None


def record_key(event: RecordEvent) -> tuple[str, str]:
    """(kind, id) of the record an event is about."""
    match event:
        case SalesInvoiceChanged():
            return "sales_invoice", event.invoice.id
        case PurchaseInvoiceChanged():
            return "purchase_invoice", event.invoice.id
        case SalesDocumentChanged():
            return f"sales_{event.document.kind}", event.document.id
        case RecordDeleted():
            return event.kind, event.record_id
        case AccountChanged():
            return "account", event.account.id
        case AgedPayablesReported():
            return "aged_payables", AGED_PAYABLES_ID
        case AgedReceivablesReported():
            return "aged_receivables", AGED_REPORT_ID


def record_payload(event: RecordEvent) -> BaseModel:
    """The record itself, as it will be stored."""
    match event:
        case SalesInvoiceChanged() | PurchaseInvoiceChanged():
            return event.invoice
        case SalesDocumentChanged():
            return event.document
        case RecordDeleted():
            return Deleted(id=event.record_id)
        case AccountChanged():
            return event.account
        case AgedPayablesReported():
            return AgedPayables(vendors=event.vendors, as_of=event.as_of)
        case AgedReceivablesReported():
            return AgedReceivables(customers=event.customers, as_of=event.as_of)


def is_relevant(event: RecordEvent) -> bool:
    """Whether any figure reads this record now (paid, cancelled and non-cash records are not read)."""
    match event:
        case SalesInvoiceChanged():
            return (
                event.invoice.status is SalesInvoiceStatus.OPEN or event.invoice.status in UNFINISHED_INVOICE
            )
        case PurchaseInvoiceChanged():
            return event.invoice.status is SalesInvoiceStatus.OPEN
        case SalesDocumentChanged():
            return is_open_sales_document(event.document)
        case RecordDeleted():
            return False
        case AccountChanged():
            return is_cash_account(event.account) or is_tax_payable_account(event.account)
        case AgedPayablesReported():
            return True
        case AgedReceivablesReported():
            return False


def is_open_sales_document(document: SalesDocument) -> bool:
    """Quotes not expired, every order BC still lists, credit memos not yet paid or cancelled."""
    if document.kind == "quote":
        return document.status in OPEN_QUOTE
    if document.kind == "credit_memo":
        return document.status in OPEN_CREDIT_MEMO
    return True


def is_cash_account(account: LedgerAccount) -> bool:
    """BC's cash cue: posting accounts in category Assets whose subcategory is a cash account."""
    return account.posting and account.category == "Assets" and "cash" in account.sub_category.lower()


def is_tax_payable_account(account: LedgerAccount) -> bool:
    """Posting liability accounts whose subcategory names a tax (BC's "Taxes Payable", VAT payable)."""
    sub = account.sub_category.lower()
    return account.posting and account.category == "Liabilities" and ("tax" in sub or "vat" in sub)


@dataclass(frozen=True)
class CompanyRecords:
    """The relevant records of one company, typed."""

    sales_invoices: tuple[SalesInvoice, ...] = ()
    purchase_invoices: tuple[PurchaseInvoice, ...] = ()
    sales_documents: tuple[SalesDocument, ...] = ()
    accounts: tuple[LedgerAccount, ...] = ()
    aged_payables: tuple[AgedBalance, ...] = field(default=())


def company_records(stored: Iterable[tuple[str, Mapping[str, Any]]]) -> CompanyRecords:
    """Typed records from stored (kind, data) pairs, sorted by id so derivation is deterministic."""
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for kind, data in stored:
        by_kind.setdefault(kind, []).append(data)

    aged = _typed(by_kind, ("aged_payables",), AgedPayables)
    return CompanyRecords(
        sales_invoices=_typed(by_kind, ("sales_invoice",), SalesInvoice),
        purchase_invoices=_typed(by_kind, ("purchase_invoice",), PurchaseInvoice),
        sales_documents=_typed(by_kind, ("sales_quote", "sales_order", "sales_credit_memo"), SalesDocument),
        accounts=_typed(by_kind, ("account",), LedgerAccount),
        aged_payables=aged[0].vendors if aged else (),
    )


def _typed(
    by_kind: Mapping[str, list[Mapping[str, Any]]], kinds: tuple[str, ...], model: type[M]
) -> tuple[M, ...]:
    rows = [model.model_validate(d) for k in kinds for d in by_kind.get(k, [])]
    return tuple(sorted(rows, key=lambda r: str(getattr(r, "id", ""))))
