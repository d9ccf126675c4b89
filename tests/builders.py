"""Test data builders with overrides: `sales_invoice_changed(seq=3, due_date=...)`."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from shared.events import (
    AccessGranted,
    AccessRevoked,
    CompanyDiscovered,
    CompanyProfile,
    CompanySyncFailed,
    CompanySyncSucceeded,
    SalesInvoice,
    SalesInvoiceChanged,
    SalesInvoiceStatus,
)
from shared.ids import AccountantId, CompanyId

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
