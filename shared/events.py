"""The event envelope and every event the services exchange over Kafka.

Every message is keyed by `company_id`; `seq` increases per company so a consumer can tell a
stale or redelivered event from a new one. Readers ignore unknown fields. A breaking change
bumps `schema_version` of that event and adds an upcaster in `shared/upcasters.py`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from shared.ids import AccountantId, CompanyId
from shared.records import (
    AgedBalance,
    ClientUserTask,
    CompanyProfile,
    LedgerAccount,
    LedgerEntry,
    PurchaseInvoice,
    SalesDocument,
    SalesInvoice,
    UserTask,
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class EventBase(_Frozen):
    """The envelope every event carries."""

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    schema_version: int = 1
    company_id: CompanyId = Field(min_length=1)
    seq: int = Field(ge=1, description="per-company, increasing; newer events have larger seq")
    occurred_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    causation_id: str | None = None


class SalesInvoiceChanged(EventBase):
    """A sales invoice was created or changed in the client's books."""

    event_type: Literal["sales_invoice.changed"] = "sales_invoice.changed"
    schema_version: Literal[1] = 1
    invoice: SalesInvoice


class CompanyDiscovered(EventBase):
    """A company was found (or re-read) in a client's system."""

    event_type: Literal["company.discovered"] = "company.discovered"
    schema_version: Literal[1] = 1
    company: CompanyProfile


class CompanySyncSucceeded(EventBase):
    """A sync of one company finished; its figures are fresh as of `synced_at`."""

    event_type: Literal["company_sync.succeeded"] = "company_sync.succeeded"
    schema_version: Literal[1] = 1
    synced_at: AwareDatetime


class CompanySyncFailed(EventBase):
    """A sync of one company failed; the last good figures stay and the row shows `reason`."""

    event_type: Literal["company_sync.failed"] = "company_sync.failed"
    schema_version: Literal[1] = 1
    failed_at: AwareDatetime
    reason: str = Field(max_length=500)


class PurchaseInvoiceChanged(EventBase):
    """A purchase invoice was created or changed in the client's books."""

    event_type: Literal["purchase_invoice.changed"] = "purchase_invoice.changed"
    schema_version: Literal[1] = 1
    invoice: PurchaseInvoice


class SalesDocumentChanged(EventBase):
    """A sales quote, order or credit memo was created or changed."""

    event_type: Literal["sales_document.changed"] = "sales_document.changed"
    schema_version: Literal[1] = 1
    document: SalesDocument


RecordKind = Literal["sales_invoice", "purchase_invoice", "sales_quote", "sales_order", "sales_credit_memo"]


class RecordDeleted(EventBase):
    """A document an earlier pull found is gone from the client's books (seen by a periodic full pass:
    BC has no delete marker to poll)."""

    event_type: Literal["record.deleted"] = "record.deleted"
    schema_version: Literal[1] = 1
    kind: RecordKind
    record_id: str = Field(min_length=1, max_length=100)


class AccountChanged(EventBase):
    """A G/L account's definition or balance changed."""

    event_type: Literal["account.changed"] = "account.changed"
    schema_version: Literal[1] = 1
    account: LedgerAccount


class AgedPayablesReported(EventBase):
    """The client system's aged payables report, as of a date: replaces the previous one."""

    event_type: Literal["aged_payables.reported"] = "aged_payables.reported"
    schema_version: Literal[1] = 1
    as_of: date
    vendors: tuple[AgedBalance, ...]


class AgedReceivablesReported(EventBase):
    """The client system's aged receivables report, as of a date: replaces the previous one."""

    event_type: Literal["aged_receivables.reported"] = "aged_receivables.reported"
    schema_version: Literal[1] = 1
    as_of: date
    customers: tuple[AgedBalance, ...]


class LedgerEntriesPosted(EventBase):
    """A batch of posted G/L entries; each is identified by its entry number, so a repeat is harmless."""

    event_type: Literal["ledger_entries.posted"] = "ledger_entries.posted"
    schema_version: Literal[1] = 1
    entries: tuple[LedgerEntry, ...] = Field(min_length=1)


class AccessGranted(EventBase):
    """An accountant may now see a company."""

    event_type: Literal["access.granted"] = "access.granted"
    schema_version: Literal[1] = 1
    accountant_id: AccountantId


class AccessRevoked(EventBase):
    """An accountant may no longer see a company."""

    event_type: Literal["access.revoked"] = "access.revoked"
    schema_version: Literal[1] = 1
    accountant_id: AccountantId


class ClientUserTasksReported(EventBase):
    """Every pending user task of the company in the client's system: replaces the previous list
    (a task missing from it was completed there)."""

    event_type: Literal["client_user_tasks.reported"] = "client_user_tasks.reported"
    schema_version: Literal[1] = 1
    tasks: tuple[ClientUserTask, ...]


class ClientUserTaskWriteBack(EventBase):
    """Sync tried to complete a user task in the client's system; `error` says why it failed."""

    event_type: Literal["client_user_task.write_back"] = "client_user_task.write_back"
    schema_version: Literal[1] = 1
    task_id: str
    remote_id: str
    error: str | None = Field(default=None, max_length=500)


class _TaskEvent(EventBase):
    """A task event carries the whole task after the change and the task's own `version`
    (a consumer keeps the highest version, so a redelivered or stale event changes nothing)."""

    schema_version: Literal[1] = 1
    version: int = Field(ge=1)
    task: UserTask


class TaskCreated(_TaskEvent):
    """A task was created in the hub or first seen in the client's system."""

    event_type: Literal["task.created"] = "task.created"


class TaskAssigned(_TaskEvent):
    """A task was assigned to someone else."""

    event_type: Literal["task.assigned"] = "task.assigned"


class TaskRescheduled(_TaskEvent):
    """A task's due date, priority or details changed."""

    event_type: Literal["task.rescheduled"] = "task.rescheduled"


class TaskCompleted(_TaskEvent):
    """A task was completed (in the hub or in the client's system)."""

    event_type: Literal["task.completed"] = "task.completed"


class TaskReopened(_TaskEvent):
    """A completed task is open again (reopened, or completing it in the client's system failed)."""

    event_type: Literal["task.reopened"] = "task.reopened"


TaskEvent = TaskCreated | TaskAssigned | TaskRescheduled | TaskCompleted | TaskReopened
TASK_EVENTS = (TaskCreated, TaskAssigned, TaskRescheduled, TaskCompleted, TaskReopened)


HubEvent = Annotated[
    SalesInvoiceChanged
    | PurchaseInvoiceChanged
    | SalesDocumentChanged
    | RecordDeleted
    | AccountChanged
    | AgedPayablesReported
    | AgedReceivablesReported
    | LedgerEntriesPosted
    | CompanyDiscovered
    | CompanySyncSucceeded
    | CompanySyncFailed
    | AccessGranted
    | AccessRevoked
    | ClientUserTasksReported
    | ClientUserTaskWriteBack
    | TaskCreated
    | TaskAssigned
    | TaskRescheduled
    | TaskCompleted
    | TaskReopened,
    Field(discriminator="event_type"),
]

HUB_EVENT_ADAPTER: TypeAdapter[HubEvent] = TypeAdapter(HubEvent)


def decode_event(raw: bytes) -> HubEvent:
    """Parse one Kafka message value; raises pydantic.ValidationError for a poison message."""
    return HUB_EVENT_ADAPTER.validate_json(raw)


def encode_event(event: EventBase) -> bytes:
    """Serialise an event for Kafka; Decimals travel as strings so nothing is rounded."""
    return event.model_dump_json().encode()
