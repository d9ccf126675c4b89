"""Test data builders with overrides: `sales_invoice_changed(seq=3, due_date=...)`."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from shared.events import (
    AccessGranted,
    AccessRevoked,
    AccountChanged,
    AgedPayablesReported,
    CompanyDiscovered,
    CompanySyncFailed,
    CompanySyncSucceeded,
    PurchaseInvoiceChanged,
    SalesDocumentChanged,
    SalesInvoiceChanged,
)
from shared.ids import AccountantId, CompanyId
from shared.records import (
    AgedBalance,
    CompanyProfile,
    LedgerAccount,
    PurchaseInvoice,
    SalesDocument,
    SalesInvoice,
    SalesInvoiceStatus,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def company_id() -> CompanyId:
    """A fresh random company id, so tests never collide and never wipe collections."""
    return CompanyId(str(uuid.uuid4()))


def accountant() -> AccountantId:
    """A fresh random accountant email."""
    return AccountantId(f"acc-{uuid.uuid4().hex[:8]}@firm.example")


def sales_invoice(**overrides: Any) -> SalesInvoice:
    """An open GBP invoice of 100.00, overdue by five days, unless overridden."""
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "number": "S-INV-1001",
        "customer_number": "C-10",
        "due_date": date(2026, 11, 20),
        "status": SalesInvoiceStatus.OPEN,
        "currency": "GBP",
        "total_amount": Decimal("120.00"),
        "remaining_amount": Decimal("100.00"),
        "last_modified_at": NOW,
    }
    fields.update(overrides)
    return SalesInvoice(**fields)


def sales_invoice_changed(company: CompanyId, seq: int, **overrides: Any) -> SalesInvoiceChanged:
    """The event for `sales_invoice(**overrides)`."""
    return SalesInvoiceChanged(company_id=company, seq=seq, invoice=sales_invoice(**overrides))


def company_discovered(company: CompanyId, seq: int, **overrides: Any) -> CompanyDiscovered:
    """Company "Contoso Ltd" of client "Contoso Holdings" in Europe/London."""
    profile: dict[str, Any] = {
        "client_id": "contoso",
        "client_name": "Contoso Holdings",
        "company_name": "Contoso Ltd",
        "time_zone": "Europe/London",
    }
    profile.update(overrides)
    return CompanyDiscovered(company_id=company, seq=seq, company=CompanyProfile(**profile))


def granted(company: CompanyId, seq: int, who: AccountantId) -> AccessGranted:
    """`who` may see `company`."""
    return AccessGranted(company_id=company, seq=seq, accountant_id=who)


def revoked(company: CompanyId, seq: int, who: AccountantId) -> AccessRevoked:
    """`who` may no longer see `company`."""
    return AccessRevoked(company_id=company, seq=seq, accountant_id=who)


def sync_succeeded(company: CompanyId, seq: int, at: datetime = NOW) -> CompanySyncSucceeded:
    """A good sync at `at`."""
    return CompanySyncSucceeded(company_id=company, seq=seq, synced_at=at)


def sync_failed(company: CompanyId, seq: int, reason: str = "HTTP 503") -> CompanySyncFailed:
    """A failed sync."""
    return CompanySyncFailed(company_id=company, seq=seq, failed_at=NOW, reason=reason)


def purchase_invoice(**overrides: Any) -> PurchaseInvoice:
    """An open GBP purchase invoice of 80.00 due in three days, unless overridden."""
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "number": "P-INV-2001",
        "vendor_number": "V-20",
        "due_date": date(2026, 11, 28),
        "status": SalesInvoiceStatus.OPEN,
        "currency": "GBP",
        "total_amount": Decimal("80.00"),
        "last_modified_at": NOW,
    }
    fields.update(overrides)
    return PurchaseInvoice(**fields)


def sales_document(kind: str = "quote", **overrides: Any) -> SalesDocument:
    """A GBP sales document of 50.00 in status Draft, unless overridden."""
    fields: dict[str, Any] = {
        "kind": kind,
        "id": str(uuid.uuid4()),
        "number": "S-QUO-1",
        "status": "Draft",
        "currency": "GBP",
        "total_amount": Decimal("50.00"),
        "last_modified_at": NOW,
    }
    fields.update(overrides)
    return SalesDocument(**fields)


def ledger_account(**overrides: Any) -> LedgerAccount:
    """A cash posting account holding 1,000.00 GBP, unless overridden."""
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "number": "10100",
        "name": "Checking account",
        "category": "Assets",
        "sub_category": "Cash",
        "posting": True,
        "balance": Decimal("1000.00"),
        "currency": "GBP",
    }
    fields.update(overrides)
    return LedgerAccount(**fields)


def aged_balance(**overrides: Any) -> AgedBalance:
    """A vendor owed 300.00 GBP of which 100.00 is not yet due, unless overridden."""
    fields: dict[str, Any] = {
        "number": "V-20",
        "name": "Fabrikam Supplies",
        "currency": "GBP",
        "balance_due": Decimal("300.00"),
        "current_amount": Decimal("100.00"),
    }
    fields.update(overrides)
    return AgedBalance(**fields)


def purchase_invoice_changed(company: CompanyId, seq: int, **overrides: Any) -> PurchaseInvoiceChanged:
    """The event for `purchase_invoice(**overrides)`."""
    return PurchaseInvoiceChanged(company_id=company, seq=seq, invoice=purchase_invoice(**overrides))


def sales_document_changed(
    company: CompanyId, seq: int, kind: str = "quote", **overrides: Any
) -> SalesDocumentChanged:
    """The event for `sales_document(kind, **overrides)`."""
    return SalesDocumentChanged(company_id=company, seq=seq, document=sales_document(kind, **overrides))


def account_changed(company: CompanyId, seq: int, **overrides: Any) -> AccountChanged:
    """The event for `ledger_account(**overrides)`."""
    return AccountChanged(company_id=company, seq=seq, account=ledger_account(**overrides))


def aged_payables_reported(company: CompanyId, seq: int, *vendors: AgedBalance) -> AgedPayablesReported:
    """An aged payables report as of TODAY with `vendors` (one default vendor when none given)."""
    return AgedPayablesReported(
        company_id=company, seq=seq, as_of=TODAY, vendors=vendors or (aged_balance(),)
    )
