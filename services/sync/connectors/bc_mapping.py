"""Business Central API v2.0 entities -> the hub's typed records. Pure; quirks normalised once, here.

`_x0020_` and stray spaces in enums, `0001-01-01` as "unset", blank currency meaning the
company's local currency, amounts already Decimal (parsed from the JSON text), unknown fields ignored.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from services.sync.connectors.base import RemoteCompany
from shared.records import (
    AgedBalance,
    LedgerAccount,
    LedgerEntry,
    PurchaseInvoice,
    SalesDocument,
    SalesDocumentKind,
    SalesInvoice,
    SalesInvoiceStatus,
)

UNSET_DATE = "0001-01-01"
_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
UNPOSTED = {"Draft", "In Review", " "}
# Business Central web client pages: (unposted document, posted document).
PAGES = {
    "salesInvoices": (43, 132),
    "purchaseInvoices": (51, 138),
    "salesQuotes": (41, 41),
    "salesOrders": (42, 42),
    "salesCreditMemos": (44, 134),
}
SALES_DOCUMENT_KINDS: dict[str, SalesDocumentKind] = {
    "salesQuotes": "quote",
    "salesOrders": "order",
    "salesCreditMemos": "credit_memo",
}
_STATUSES = {s.value for s in SalesInvoiceStatus}


def sales_invoice(company: RemoteCompany, e: dict[str, Any]) -> SalesInvoice:
    """A `salesInvoices` entity."""
    status = normalise_enum(e.get("status"))
    return SalesInvoice(
        id=str(e["id"]),
        number=str(e.get("number", "")),
        customer_number=str(e.get("customerNumber", "")),
        due_date=parse_date(e.get("dueDate")),
        status=_invoice_status(status),
        currency=_currency(company, e),
        total_amount=Decimal(e.get("totalAmountIncludingTax", 0)),
        remaining_amount=Decimal(e.get("remainingAmount", 0)),
        last_modified_at=_modified(e),
        web_url=record_link(company, "salesInvoices", status, str(e.get("number", ""))),
    )


def purchase_invoice(company: RemoteCompany, e: dict[str, Any]) -> PurchaseInvoice:
    """A `purchaseInvoices` entity (v2.0 has no remaining amount)."""
    status = normalise_enum(e.get("status"))
    return PurchaseInvoice(
        id=str(e["id"]),
        number=str(e.get("number", "")),
        vendor_number=str(e.get("vendorNumber", "")),
        due_date=parse_date(e.get("dueDate")),
        status=_invoice_status(status),
        currency=_currency(company, e),
        total_amount=Decimal(e.get("totalAmountIncludingTax", 0)),
        last_modified_at=_modified(e),
        web_url=record_link(company, "purchaseInvoices", status, str(e.get("number", ""))),
    )


def sales_document(company: RemoteCompany, entity_set: str, e: dict[str, Any]) -> SalesDocument:
    """A `salesQuotes`, `salesOrders` or `salesCreditMemos` entity."""
    status = normalise_enum(e.get("status"))
    return SalesDocument(
        kind=SALES_DOCUMENT_KINDS[entity_set],
        id=str(e["id"]),
        number=str(e.get("number", "")),
        status=status,
        currency=_currency(company, e),
        total_amount=Decimal(e.get("totalAmountIncludingTax", 0)),
        last_modified_at=_modified(e),
        web_url=record_link(company, entity_set, status, str(e.get("number", ""))),
    )


def ledger_account(company: RemoteCompany, e: dict[str, Any]) -> LedgerAccount:
    """An `accounts` entity; its netChange is the balance, in the company's local currency."""
    return LedgerAccount(
        id=str(e["id"]),
        number=str(e.get("number", "")),
        name=str(e.get("displayName", "")),
        category=normalise_enum(e.get("category")).strip(),
        sub_category=normalise_enum(e.get("subCategory")).strip(),
        posting=normalise_enum(e.get("accountType")) == "Posting",
        balance=Decimal(e.get("netChange", 0)),
        currency=company.currency,
    )


def aged_balance(company: RemoteCompany, e: dict[str, Any]) -> AgedBalance:
    """An `agedAccountsPayables` (or receivables) line. BC ages in the local currency (LCY): the
    line's `currencyCode` is the vendor's (customer's) document currency, not the amounts'."""
    number = e.get("vendorNumber", e.get("customerNumber", ""))
    return AgedBalance(
        number=str(number),
        name=str(e.get("name", "")),
        currency=company.currency,
        balance_due=Decimal(e.get("balanceDue", 0)),
        current_amount=Decimal(e.get("currentAmount", 0)),
        period1_amount=_optional_amount(e.get("period1Amount")),
        period2_amount=_optional_amount(e.get("period2Amount")),
        period3_amount=_optional_amount(e.get("period3Amount")),
    )


def ledger_entry(e: dict[str, Any]) -> LedgerEntry:
    """A `generalLedgerEntries` entity: a debit or a credit on one account, in the local currency."""
    return LedgerEntry(
        id=str(e["id"]),
        entry_number=int(e["entryNumber"]),
        account_number=str(e.get("accountNumber", "")),
        posting_date=date.fromisoformat(str(e["postingDate"])[:10]),
        debit_amount=Decimal(e.get("debitAmount", 0)),
        credit_amount=Decimal(e.get("creditAmount", 0)),
        last_modified_at=_modified(e),
    )


def _optional_amount(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def record_link(company: RemoteCompany, entity_set: str, status: str, number: str) -> str:
    """A deep link to the document in the client's Business Central web client."""
    unposted, posted = PAGES[entity_set]
    page = unposted if status in UNPOSTED else posted
    record_filter = quote(f"'No.' IS '{number}'")
    return f"{company.web_url}&page={page}&filter={record_filter}"


def normalise_enum(value: object) -> str:
    """BC enum text with XML escapes (`_x0020_`, `_x002D_`) decoded and edges trimmed;
    unset (blank) becomes a single space."""
    text = _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), str(value or "")).strip()
    return text or " "


def parse_date(value: object) -> date | None:
    """A BC date, with `0001-01-01` (BC's "unset") and blanks as None."""
    text = str(value or "")
    if not text or text.startswith(UNSET_DATE):
        return None
    return date.fromisoformat(text[:10])


def _invoice_status(status: str) -> SalesInvoiceStatus:
    return SalesInvoiceStatus(status) if status in _STATUSES else SalesInvoiceStatus.UNSET


def _currency(company: RemoteCompany, e: dict[str, Any]) -> str:
    return str(e.get("currencyCode") or company.currency).strip().upper()


def _modified(e: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(e["lastModifiedDateTime"]))
