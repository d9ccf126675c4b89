"""The simulator's general ledger balances, agrees with its accounts and with the aged reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.bc_simulator_support import TODAY, Bc, amount, simulator, total

RECEIVABLES, PAYABLES, CHECKING = "10400", "20100", "10100"


@pytest.fixture
async def bc() -> AsyncIterator[Bc]:
    async with simulator() as connected:
        yield connected


def net(entries: list[dict[str, Any]], account: str | None = None) -> Decimal:
    """Debits minus credits (of one account)."""
    mine = [e for e in entries if account is None or e["accountNumber"] == account]
    return total(mine, "debitAmount") - total(mine, "creditAmount")


def assert_balanced(entries: list[dict[str, Any]]) -> None:
    by_document: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        by_document[entry["documentNumber"] + entry["lastModifiedDateTime"]].append(entry)
    for document, lines in by_document.items():
        assert net(lines) == 0, f"{document} does not balance"
    assert net(entries) == 0


async def books(bc: Bc, info: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    entries = await bc.entity_set(info, "generalLedgerEntries")
    accounts = {a["number"]: a for a in await bc.entity_set(info, "accounts")}
    return entries, accounts


async def test_every_document_and_every_company_balances(bc: Bc) -> None:
    for info in await bc.companies():
        entries = await bc.entity_set(info, "generalLedgerEntries")

        assert_balanced(entries)
        numbers = sorted(e["entryNumber"] for e in entries)
        assert numbers == list(range(1, len(entries) + 1))
        assert {e["documentType"] for e in entries} <= {
            "_x0020_",
            "Invoice",
            "Payment",
            "Credit_x0020_Memo",
            "Refund",
        }
        assert all((amount(e["debitAmount"]) == 0) != (amount(e["creditAmount"]) == 0) for e in entries)


async def test_net_change_is_the_sum_of_each_accounts_entries(bc: Bc) -> None:
    for info in await bc.companies():
        entries, accounts = await books(bc, info)

        for number, account in accounts.items():
            if account["accountType"] == "Posting":
                assert amount(account["netChange"]) == net(entries, number), number
            assert all(e["accountId"] == accounts[e["accountNumber"]]["id"] for e in entries)
        assert amount(accounts["10999"]["netChange"]) == sum(
            (net(entries, n) for n in accounts if "10001" <= n <= "10999"), Decimal(0)
        )
        assert amount(accounts["10000"]["netChange"]) == 0
        cash = [a for a in accounts.values() if a["subCategory"] == "Cash"]
        assert total(cash, "netChange") > 0


async def test_aged_receivables_agree_with_open_sales_documents_and_the_ledger(bc: Bc) -> None:
    for info in await bc.companies():
        entries = await bc.entity_set(info, "generalLedgerEntries")
        aged = await bc.entity_set(info, "agedAccountsReceivables")
        invoices = await bc.entity_set(info, "salesInvoices")
        memos = await bc.entity_set(info, "salesCreditMemos")

        assert total(aged, "balanceDue") == net(entries, RECEIVABLES)
        in_lcy = [r for r in aged if r["currencyCode"] == ""]  # customers billed in LCY
        assert any(
            amount(r["balanceDue"]) and amount(r["balanceDue"]) != amount(r["currentAmount"]) for r in in_lcy
        )
        for row in in_lcy:
            mine = [i for i in invoices if i["customerId"] == row["customerId"] and i["status"] == "Open"]
            refunds = [m for m in memos if m["customerId"] == row["customerId"] and m["status"] == "Open"]
            expected = total(mine, "remainingAmount") - total(refunds, "totalAmountIncludingTax")
            assert amount(row["balanceDue"]) == expected
            not_due = [i for i in mine if date.fromisoformat(i["dueDate"]) >= TODAY]
            not_due_refunds = [m for m in refunds if date.fromisoformat(m["dueDate"]) >= TODAY]
            current = total(not_due, "remainingAmount") - total(not_due_refunds, "totalAmountIncludingTax")
            assert amount(row["currentAmount"]) == current


async def test_aged_payables_agree_with_open_purchase_invoices_and_the_ledger(bc: Bc) -> None:
    for info in await bc.companies():
        entries = await bc.entity_set(info, "generalLedgerEntries")
        aged = await bc.entity_set(info, "agedAccountsPayables")
        bills = await bc.entity_set(info, "purchaseInvoices")
        vendors = {v["id"]: v for v in await bc.entity_set(info, "vendors")}

        assert total(aged, "balanceDue") == -net(entries, PAYABLES)
        assert any(
            r["currencyCode"] == "" and amount(r["balanceDue"]) > amount(r["currentAmount"]) for r in aged
        )
        for row in aged:
            assert amount(vendors[row["vendorId"]]["balance"]) == amount(row["balanceDue"])
            if row["currencyCode"] == "":
                mine = [b for b in bills if b["vendorId"] == row["vendorId"] and b["status"] == "Open"]
                overdue = [b for b in mine if date.fromisoformat(b["dueDate"]) < TODAY]
                assert amount(row["balanceDue"]) == total(mine, "totalAmountIncludingTax")
                overdue_amount = amount(row["balanceDue"]) - amount(row["currentAmount"])
                assert overdue_amount == total(overdue, "totalAmountIncludingTax")


async def lcy_company(bc: Bc) -> dict[str, Any]:
    """The first company (its documents in its local currency are picked below)."""
    return (await bc.companies())[0]


async def test_a_posted_purchase_invoice_and_its_payment_move_the_ledger(bc: Bc) -> None:
    info = await lcy_company(bc)
    base = f"/companies/{info['companyId']}/purchaseInvoices"
    vendor = next(
        v for v in await bc.entity_set(info, "vendors") if v["currencyCode"] == info["currencyCode"]
    )
    entries_before, _ = await books(bc, info)

    bill = await bc.control(base, json={"vendorNumber": vendor["number"], "amountExcludingTax": "500.00"})
    posted, accounts = await books(bc, info)
    paid = await bc.control(f"{base}/{bill['id']}/pay")
    settled, _ = await books(bc, info)

    assert (bill["status"], paid["status"]) == ("Open", "Paid")
    including = amount(bill["totalAmountIncludingTax"])
    new_lines = posted[len(entries_before) :]
    assert {e["documentNumber"] for e in new_lines} == {bill["number"]}
    assert net(new_lines, PAYABLES) == -including
    assert net(new_lines, "10600") == amount(bill["totalTaxAmount"])
    payment = settled[len(posted) :]
    assert {e["documentType"] for e in payment} == {"Payment"}
    assert (net(payment, PAYABLES), net(payment, CHECKING)) == (including, -including)
    assert_balanced(settled)
    assert paid["lastModifiedDateTime"] > bill["lastModifiedDateTime"]
    assert amount(accounts[PAYABLES]["netChange"]) == net(posted, PAYABLES)


async def test_sales_payments_and_reversals_keep_receivables_equal_to_what_is_open(bc: Bc) -> None:
    info = await lcy_company(bc)
    invoices = await bc.entity_set(info, "salesInvoices")
    invoice = next(i for i in invoices if i["status"] == "Open" and i["currencyCode"] == info["currencyCode"])
    paid = next(i for i in invoices if i["status"] == "Paid")
    base = f"/companies/{info['companyId']}/salesInvoices"

    await bc.control(f"{base}/{invoice['id']}/pay", json={"amount": "1.00"})
    await bc.control(f"{base}/{paid['id']}/make-overdue", params={"today": TODAY.isoformat()})
    entries = await bc.entity_set(info, "generalLedgerEntries")
    aged = await bc.entity_set(info, "agedAccountsReceivables")
    now_open = {i["id"]: i for i in await bc.entity_set(info, "salesInvoices")}

    assert amount(now_open[invoice["id"]]["remainingAmount"]) == amount(invoice["remainingAmount"]) - 1
    assert now_open[paid["id"]]["status"] == "Open"
    assert_balanced(entries)
    assert {e["documentType"] for e in entries[-4:]} == {"Payment", "Refund"}
    assert total(aged, "balanceDue") == net(entries, RECEIVABLES)


async def test_a_new_sales_invoice_posts_receivable_revenue_and_vat(bc: Bc) -> None:
    info = await lcy_company(bc)
    customer = next(
        c for c in await bc.entity_set(info, "customers") if c["currencyCode"] == info["currencyCode"]
    )
    before = await bc.entity_set(info, "generalLedgerEntries")

    invoice = await bc.control(
        f"/companies/{info['companyId']}/salesInvoices",
        json={"customerNumber": customer["number"], "amountExcludingTax": "100.00", "dueDate": "2026-12-31"},
    )
    lines = (await bc.entity_set(info, "generalLedgerEntries"))[len(before) :]

    assert (invoice["status"], invoice["dueDate"], invoice["customerNumber"]) == (
        "Open",
        "2026-12-31",
        customer["number"],
    )
    assert net(lines, RECEIVABLES) == amount(invoice["totalAmountIncludingTax"])
    assert net(lines, "20200") == -amount(invoice["totalTaxAmount"])
    assert net(lines) == 0
