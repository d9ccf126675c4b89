"""The simulator's new entity sets have BC API v2.0's shapes, enums, paging and filtering."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from deploy.local.bc_simulator import generate_books
from tests.bc_simulator_support import TODAY, Bc, amount, simulator

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DOCUMENT_STATUSES = {"_x0020_", "Draft", "In_x0020_Review", "Open", "Paid", "Canceled", "Corrective"}
EXPECTED = {
    "vendors": {
        "id", "number", "displayName", "email", "currencyCode", "blocked", "balance",
        "lastModifiedDateTime",
    },
    "purchaseInvoices": {
        "id", "number", "vendorId", "vendorNumber", "vendorName", "vendorInvoiceNumber", "invoiceDate",
        "postingDate", "dueDate", "status", "currencyCode", "totalAmountExcludingTax", "totalTaxAmount",
        "totalAmountIncludingTax", "lastModifiedDateTime",
    },
    "salesOrders": {
        "id", "number", "orderDate", "customerId", "customerNumber", "status", "totalAmountIncludingTax",
    },
    "salesQuotes": {"id", "number", "documentDate", "validUntilDate", "sentDate", "acceptedDate", "status"},
    "salesCreditMemos": {
        "id", "number", "creditMemoDate", "customerId", "status", "invoiceId", "invoiceNumber",
    },
    "accounts": {
        "id", "number", "displayName", "category", "subCategory", "blocked", "accountType", "directPosting",
        "netChange", "lastModifiedDateTime",
    },
    "generalLedgerEntries": {
        "id", "entryNumber", "postingDate", "documentNumber", "documentType", "accountId", "accountNumber",
        "description", "debitAmount", "creditAmount", "lastModifiedDateTime",
    },
    "agedAccountsReceivables": {
        "customerId", "customerNumber", "name", "currencyCode", "balanceDue", "currentAmount",
        "period1Amount", "period2Amount", "period3Amount", "agedAsOfDate", "periodLengthFilter",
    },
    "agedAccountsPayables": {
        "vendorId", "vendorNumber", "name", "currencyCode", "balanceDue", "currentAmount",
        "period1Amount", "period2Amount", "period3Amount", "agedAsOfDate", "periodLengthFilter",
    },
}  # fmt: skip


@pytest.fixture
async def bc() -> AsyncIterator[Bc]:
    async with simulator() as connected:
        yield connected


async def rows_of(bc: Bc, entity_set: str) -> list[dict[str, Any]]:
    return await bc.entity_set((await bc.companies())[0], entity_set)


@pytest.mark.parametrize("entity_set", sorted(EXPECTED))
async def test_every_entity_set_has_its_documented_properties(bc: Bc, entity_set: str) -> None:
    rows = await rows_of(bc, entity_set)

    assert rows
    for row in rows:
        assert EXPECTED[entity_set] <= set(row), EXPECTED[entity_set] - set(row)
        assert row["@odata.etag"].startswith('W/"')
        for name, value in row.items():
            if name.endswith("DateTime") or name in ("sentDate",):
                assert DATETIME.match(value), (name, value)
            elif name.endswith("Date"):
                assert DATE.match(value), (name, value)
            elif name == "id" or name.endswith("Id"):
                assert GUID.match(value) or value == "00000000-0000-0000-0000-000000000000", (name, value)
            elif name.endswith("Amount") or name in ("balance", "netChange", "balanceDue"):
                assert isinstance(value, Decimal | int), (name, value)


async def test_purchase_invoices_are_due_this_week_overdue_and_paid_with_consistent_totals(bc: Bc) -> None:
    invoices = await rows_of(bc, "purchaseInvoices")

    assert {i["status"] for i in invoices} <= DOCUMENT_STATUSES
    assert "remainingAmount" not in invoices[0]
    due = [date.fromisoformat(i["dueDate"]) for i in invoices if i["status"] == "Open"]
    assert any(TODAY < d <= TODAY + timedelta(days=7) for d in due), "some due within the next 7 days"
    assert any(d < TODAY for d in due), "some overdue"
    assert any(i["status"] == "Paid" for i in invoices)
    for invoice in invoices:
        assert amount(invoice["totalAmountExcludingTax"]) + amount(invoice["totalTaxAmount"]) == amount(
            invoice["totalAmountIncludingTax"]
        )
        assert invoice["dueDate"] >= invoice["invoiceDate"]


async def test_sales_documents_use_their_documented_status_enums(bc: Bc) -> None:
    companies = await bc.companies()
    orders, quotes, memos = [], [], []
    for info in companies:
        orders += await bc.entity_set(info, "salesOrders")
        quotes += await bc.entity_set(info, "salesQuotes")
        memos += await bc.entity_set(info, "salesCreditMemos")

    assert {o["status"] for o in orders} <= {"Draft", "In_x0020_Review", "Open"}
    assert {q["status"] for q in quotes} <= {"Draft", "Sent", "Accepted", "Expired_x0020_", "Expired "}
    assert "Expired " in {q["status"] for q in quotes}, "BC's trailing-space caption appears"
    assert {m["status"] for m in memos} <= DOCUMENT_STATUSES
    corrective = [m for m in memos if m["status"] == "Corrective"]
    assert all(m["invoiceNumber"].startswith("S-INV-") for m in corrective)
    for quote in quotes:
        if quote["status"] == "Draft":
            assert quote["sentDate"] == "0001-01-01T00:00:00.000Z"
        if quote["status"] != "Accepted":
            assert quote["acceptedDate"] == "0001-01-01"


async def test_chart_of_accounts_is_small_realistic_and_uses_bc_enums(bc: Bc) -> None:
    accounts = await rows_of(bc, "accounts")

    cogs = "Cost_x0020_of_x0020_Goods_x0020_Sold"
    assert {a["category"] for a in accounts} <= {
        "_x0020_",
        "Assets",
        "Liabilities",
        "Equity",
        "Income",
        cogs,
        "Expense",
    }
    assert {a["accountType"] for a in accounts} == {
        "Posting",
        "Heading",
        "Total",
        "Begin_x002D_Total",
        "End_x002D_Total",
    }
    cash = [a for a in accounts if a["subCategory"] == "Cash" and a["accountType"] == "Posting"]
    assert len(cash) >= 2
    assert all(a["category"] == "Assets" for a in cash)
    sub_categories = {a["subCategory"] for a in accounts}
    assert {"Accounts Receivable", "Accounts Payable", "Taxes Payable", "Income, Services"} <= sub_categories
    assert not any(a["directPosting"] for a in accounts if a["accountType"] != "Posting")


async def test_aged_reports_list_every_customer_and_vendor_as_of_today(bc: Bc) -> None:
    info = (await bc.companies())[0]
    receivables = await bc.entity_set(info, "agedAccountsReceivables")
    payables = await bc.entity_set(info, "agedAccountsPayables")

    assert {r["customerId"] for r in receivables} == {c["id"] for c in await bc.entity_set(info, "customers")}
    assert {p["vendorId"] for p in payables} == {v["id"] for v in await bc.entity_set(info, "vendors")}
    for row in receivables + payables:
        assert (row["agedAsOfDate"], row["periodLengthFilter"]) == (TODAY.isoformat(), "30D")
        periods = ("currentAmount", "period1Amount", "period2Amount", "period3Amount")
        assert sum(amount(row[p]) for p in periods) == amount(row["balanceDue"])
    assert list(receivables[0])[1:3] == ["customerId", "customerNumber"]


@pytest.mark.parametrize("entity_set", ["purchaseInvoices", "generalLedgerEntries", "vendors", "salesQuotes"])
async def test_new_entity_sets_page_and_filter_on_last_modified(bc: Bc, entity_set: str) -> None:
    info = (await bc.companies())[0]
    headers = await bc.headers(info) | {"Prefer": "odata.maxpagesize=3"}
    url = f"{info['apiUrl']}/{entity_set}"
    everything = await bc.get_all(url, headers)
    stamps = sorted(row["lastModifiedDateTime"] for row in everything)
    middle = stamps[len(stamps) // 2]

    later = await bc.get_all(f"{url}?$filter=lastModifiedDateTime gt {middle}", headers)
    from_middle = await bc.get_all(f"{url}?$filter=lastModifiedDateTime ge {middle}", headers)

    assert len(everything) > 3
    assert len({row["id"] for row in everything}) == len(everything)
    assert {r["id"] for r in later} == {r["id"] for r in everything if r["lastModifiedDateTime"] > middle}
    assert {r["id"] for r in from_middle} == {
        r["id"] for r in everything if r["lastModifiedDateTime"] >= middle
    }


async def test_a_new_entity_is_found_by_its_key(bc: Bc) -> None:
    info = (await bc.companies())[0]
    headers = await bc.headers(info)
    invoice = (await bc.entity_set(info, "purchaseInvoices"))[0]
    aged = (await bc.entity_set(info, "agedAccountsReceivables"))[0]

    one = await bc.http.get(f"{info['apiUrl']}/purchaseInvoices({invoice['id']})", headers=headers)
    row = await bc.http.get(
        f"{info['apiUrl']}/agedAccountsReceivables({aged['customerId']})", headers=headers
    )

    assert one.status_code == 200
    assert one.json()["number"] == invoice["number"]
    assert one.json()["@odata.context"].endswith("/purchaseInvoices/$entity")
    assert row.json()["customerNumber"] == aged["customerNumber"]


async def test_aged_reports_cannot_be_filtered_on_a_watermark_they_do_not_have(bc: Bc) -> None:
    info = (await bc.companies())[0]
    url = f"{info['apiUrl']}/agedAccountsPayables?$filter=lastModifiedDateTime gt 2026-01-01T00:00:00Z"

    response = await bc.http.get(url, headers=await bc.headers(info))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"


def test_new_books_are_deterministic_for_a_seed() -> None:
    fresh = generate_books.__wrapped__  # past the memo: really generate again
    first, second, other = fresh(3, 2, 2, TODAY), fresh(3, 2, 2, TODAY), fresh(4, 2, 2, TODAY)

    assert [c.more for c in first.companies()] == [c.more for c in second.companies()]
    assert [c.more for c in first.companies()] != [c.more for c in other.companies()]
    assert all(c.more.general_ledger_entries and c.more.vendors for c in first.companies())
