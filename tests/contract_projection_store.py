"""The projection store's contract, run against the in-memory fake and the real MongoDB server.

Each test drives the aggregator's use case and reads the row an accountant would see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from services.aggregator.handlers import apply_events, rederive_where_day_turned
from services.aggregator.repository import ProjectionStore
from shared.events import HubEvent
from shared.ids import AccountantId, CompanyId
from shared.records import SalesInvoiceStatus
from tests.builders import (
    NOW,
    account_changed,
    accountant,
    aged_payables_reported,
    company_discovered,
    company_id,
    granted,
    purchase_invoice_changed,
    revoked,
    sales_document_changed,
    sales_invoice_changed,
    sync_failed,
    sync_succeeded,
)
from tests.task_builders import task_event, user_task

RowReader = Callable[[AccountantId, CompanyId], Awaitable[dict[str, Any] | None]]


def clock() -> Any:
    return NOW


async def seeded(store: ProjectionStore, *events: HubEvent) -> tuple[CompanyId, AccountantId]:
    company, who = company_id(), accountant()
    await apply_events([company_discovered(company, 1), granted(company, 2, who)], store, clock)
    if events:
        await apply_events([e.model_copy(update={"company_id": company}) for e in events], store, clock)
    return company, who


async def check_redelivered_event_is_applied_once(store: ProjectionStore, read_row: RowReader) -> None:
    company, who = await seeded(store)
    event = sales_invoice_changed(company, 3, remaining_amount=Decimal("40.00"))
    await apply_events([event], store, clock)
    await apply_events([event, event], store, clock)
    row = await read_row(who, company)
    assert row is not None
    assert row["overdue_sales"] == [{"currency": "GBP", "amount": Decimal("40.00"), "count": 1}]


async def check_stale_event_does_not_overwrite_newer(store: ProjectionStore, read_row: RowReader) -> None:
    company, who = await seeded(store)
    paid = sales_invoice_changed(
        company, 5, id="inv-1", status=SalesInvoiceStatus.PAID, remaining_amount=Decimal(0)
    )
    older_open = sales_invoice_changed(company, 4, id="inv-1")
    await apply_events([paid], store, clock)
    await apply_events([older_open], store, clock)
    row = await read_row(who, company)
    assert row is not None
    assert row["overdue_sales"] == []


async def check_batch_keeps_newest_per_invoice(store: ProjectionStore, read_row: RowReader) -> None:
    company, who = await seeded(store)
    first = sales_invoice_changed(company, 3, id="inv-1", remaining_amount=Decimal("10.00"))
    second = sales_invoice_changed(company, 4, id="inv-1", remaining_amount=Decimal("7.50"))
    await apply_events([second, first], store, clock)
    row = await read_row(who, company)
    assert row is not None
    assert row["overdue_sales"] == [{"currency": "GBP", "amount": Decimal("7.50"), "count": 1}]


async def check_revoked_accountant_loses_the_row(store: ProjectionStore, read_row: RowReader) -> None:
    company, who = await seeded(store)
    await apply_events([revoked(company, 9, who)], store, clock)
    assert await read_row(who, company) is None


async def check_other_accountant_sees_nothing(store: ProjectionStore, read_row: RowReader) -> None:
    company, _ = await seeded(store)
    assert await read_row(accountant(), company) is None


async def check_failed_sync_keeps_last_good_figures(store: ProjectionStore, read_row: RowReader) -> None:
    company, who = await seeded(store)
    await apply_events([sales_invoice_changed(company, 3), sync_succeeded(company, 4)], store, clock)
    await apply_events([sync_failed(company, 5, "HTTP 503 from the client's system")], store, clock)
    row = await read_row(who, company)
    assert row is not None
    assert row["last_sync_error"] == "HTTP 503 from the client's system"
    assert row["last_synced_at"] == NOW
    assert row["overdue_sales"][0]["amount"] == Decimal("100.00")


async def check_figures_roll_over_at_midnight_without_events(
    store: ProjectionStore, read_row: RowReader
) -> None:
    company, who = await seeded(store)
    due_today = sales_invoice_changed(company, 3, due_date=date(2026, 11, 25))
    await apply_events([due_today], store, clock)
    row = await read_row(who, company)
    assert row is not None
    assert row["overdue_sales"] == []
    turned = await rederive_where_day_turned(store, lambda: NOW + timedelta(days=1))
    assert turned >= 1
    row = await read_row(who, company)
    assert row is not None
    assert row["overdue_sales"][0]["count"] == 1


CONTRACT = [
    check_redelivered_event_is_applied_once,
    check_stale_event_does_not_overwrite_newer,
    check_batch_keeps_newest_per_invoice,
    check_revoked_accountant_loses_the_row,
    check_other_accountant_sees_nothing,
    check_failed_sync_keeps_last_good_figures,
    check_figures_roll_over_at_midnight_without_events,
]


async def check_every_figure_reaches_the_row(store: ProjectionStore, read_row: RowReader) -> None:
    company, who = await seeded(store)
    events: list[HubEvent] = [
        sales_document_changed(company, 3, "quote", status="Sent"),
        purchase_invoice_changed(company, 4, total_amount=Decimal("80.00")),
        account_changed(company, 5, id="cash-1", balance=Decimal("1234.56")),
        aged_payables_reported(company, 6),
        account_changed(
            company,
            7,
            id="vat",
            category="Liabilities",
            sub_category="Taxes Payable",
            balance=Decimal("-12.34"),
        ),
    ]
    await apply_events(events, store, clock)
    row = await read_row(who, company)
    assert row is not None
    assert row["open_sales_documents"]["quotes"] == 1
    assert row["purchase_due_next_week"] == [{"currency": "GBP", "amount": Decimal("80.00"), "count": 1}]
    assert row["overdue_purchases"] == [{"currency": "GBP", "amount": Decimal("200.00"), "count": 1}]
    assert row["cash"] == [{"currency": "GBP", "amount": Decimal("1234.56"), "count": 1}]
    assert row["taxes_due"] == [{"currency": "GBP", "amount": Decimal("12.34"), "count": 1}]


async def check_paid_purchase_invoice_leaves_the_figure(store: ProjectionStore, read_row: RowReader) -> None:
    company, who = await seeded(store)
    await apply_events([purchase_invoice_changed(company, 3, id="p-1")], store, clock)
    paid = purchase_invoice_changed(company, 4, id="p-1", status=SalesInvoiceStatus.PAID)
    await apply_events([paid, purchase_invoice_changed(company, 3, id="p-1")], store, clock)
    row = await read_row(who, company)
    assert row is not None
    assert row["purchase_due_next_week"] == []


CONTRACT += [check_every_figure_reaches_the_row, check_paid_purchase_invoice_leaves_the_figure]


async def check_reassigning_moves_the_task_between_accountants(
    store: ProjectionStore, read_row: RowReader
) -> None:
    company, who = await seeded(store)
    other = accountant()
    await apply_events([granted(company, 3, other)], store, clock)
    task = user_task(assignee=who, due_date=date(2026, 11, 24))
    created = task_event("created", company, 1, 1, task)
    reassigned = task_event("assigned", company, 2, 2, task, assignee=other)
    await apply_events([created], store, clock)
    mine = await read_row(who, company)
    assert mine is not None
    assert (mine["my_tasks"], mine["my_overdue_tasks"]) == (1, 1)
    await apply_events([reassigned, created], store, clock)
    await apply_events([created], store, clock)
    mine, theirs = await read_row(who, company), await read_row(other, company)
    assert mine is not None
    assert theirs is not None
    assert (mine["my_tasks"], mine["my_overdue_tasks"]) == (0, 0)
    assert (theirs["my_tasks"], theirs["my_overdue_tasks"]) == (1, 1)


async def check_completed_task_leaves_the_counts(store: ProjectionStore, read_row: RowReader) -> None:
    company, who = await seeded(store)
    task = user_task(assignee=who)
    await apply_events([task_event("created", company, 1, 1, task)], store, clock)
    await apply_events([task_event("completed", company, 2, 2, task, status="done")], store, clock)
    row = await read_row(who, company)
    assert row is not None
    assert (row["my_tasks"], row["my_overdue_tasks"]) == (0, 0)


async def check_task_due_today_is_overdue_after_midnight(store: ProjectionStore, read_row: RowReader) -> None:
    company, who = await seeded(store)
    due_today = user_task(assignee=who, due_date=date(2026, 11, 25))
    undated = user_task(assignee=who)
    await apply_events(
        [task_event("created", company, 1, 1, due_today), task_event("created", company, 2, 1, undated)],
        store,
        clock,
    )
    row = await read_row(who, company)
    assert row is not None
    assert (row["my_tasks"], row["my_overdue_tasks"]) == (2, 0)
    await rederive_where_day_turned(store, lambda: NOW + timedelta(days=1))
    row = await read_row(who, company)
    assert row is not None
    assert (row["my_tasks"], row["my_overdue_tasks"]) == (2, 1)


CONTRACT += [
    check_reassigning_moves_the_task_between_accountants,
    check_completed_task_leaves_the_counts,
    check_task_due_today_is_overdue_after_midnight,
]
