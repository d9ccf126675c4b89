"""The entity sets below `companies({id})`: their entity type and where their rows come from."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from . import views
from .entities import Customer, ODataRow, SalesInvoice
from .entities_ledger import Account, AgedAccountsPayable, AgedAccountsReceivable, GeneralLedgerEntry
from .entities_purchase import PurchaseInvoice, Vendor
from .entities_sales import SalesCreditMemo, SalesOrder, SalesQuote
from .state import SimulatorState

Rows = Callable[[SimulatorState, UUID], Sequence[ODataRow]]


@dataclass(frozen=True)
class EntitySet:
    """An entity set below `companies({id})`: its entity type and where its rows come from."""

    model: type[ODataRow]
    rows: Rows
    webhooks: bool = True  # whether BC supports subscriptions to it


def _stored(name: str) -> Rows:
    return lambda state, company_id: state.rows(company_id, name)


COMPANY_ENTITY_SETS: Mapping[str, EntitySet] = {
    "salesInvoices": EntitySet(SalesInvoice, _stored("salesInvoices")),
    "customers": EntitySet(Customer, _stored("customers")),
    "vendors": EntitySet(Vendor, views.vendors),
    "purchaseInvoices": EntitySet(PurchaseInvoice, _stored("purchaseInvoices")),
    "salesOrders": EntitySet(SalesOrder, _stored("salesOrders")),
    "salesQuotes": EntitySet(SalesQuote, _stored("salesQuotes")),
    "salesCreditMemos": EntitySet(SalesCreditMemo, _stored("salesCreditMemos")),
    "accounts": EntitySet(Account, views.accounts),
    "generalLedgerEntries": EntitySet(GeneralLedgerEntry, _stored("generalLedgerEntries")),
    "agedAccountsReceivables": EntitySet(AgedAccountsReceivable, views.aged_receivables, webhooks=False),
    "agedAccountsPayables": EntitySet(AgedAccountsPayable, views.aged_payables, webhooks=False),
}
WEBHOOK_RESOURCES = frozenset(name for name, entity_set in COMPANY_ENTITY_SETS.items() if entity_set.webhooks)
