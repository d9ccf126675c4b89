"""Coalescing a batch of events into the newest change per record, so one batch is one write."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from services.aggregator.records import RECORD_EVENTS, RecordEvent, record_key
from services.aggregator.tasks import keep_newest_version
from shared.events import (
    AccessGranted,
    AccessRevoked,
    CompanyDiscovered,
    CompanySyncFailed,
    CompanySyncSucceeded,
    HubEvent,
    TaskAssigned,
    TaskCompleted,
    TaskCreated,
    TaskEvent,
    TaskReopened,
    TaskRescheduled,
)
from shared.ids import CompanyId

Grant = AccessGranted | AccessRevoked
SyncStatus = CompanySyncSucceeded | CompanySyncFailed
K = TypeVar("K")
E = TypeVar("E", bound=HubEvent)


@dataclass
class BatchChanges:
    """The newest event per record in a batch, and every company the batch touched."""

    records: dict[tuple[CompanyId, str, str], RecordEvent] = field(default_factory=dict)
    profiles: dict[CompanyId, CompanyDiscovered] = field(default_factory=dict)
    latest_status: dict[CompanyId, SyncStatus] = field(default_factory=dict)
    last_success: dict[CompanyId, datetime] = field(default_factory=dict)
    grants: dict[tuple[CompanyId, str], Grant] = field(default_factory=dict)
    tasks: dict[str, TaskEvent] = field(default_factory=dict)
    companies: set[CompanyId] = field(default_factory=set)


def coalesce(events: Iterable[HubEvent]) -> BatchChanges:
    """Keep, per record, only the event with the highest per-company seq."""
    changes = BatchChanges()
    for event in events:
        changes.companies.add(event.company_id)
        if isinstance(event, RECORD_EVENTS):
            _keep_newest(changes.records, (event.company_id, *record_key(event)), event)
            continue
        match event:
            case CompanyDiscovered():
                _keep_newest(changes.profiles, event.company_id, event)
            case CompanySyncSucceeded() | CompanySyncFailed():
                _keep_newest(changes.latest_status, event.company_id, event)
                if isinstance(event, CompanySyncSucceeded):
                    previous = changes.last_success.get(event.company_id)
                    changes.last_success[event.company_id] = max(event.synced_at, previous or event.synced_at)
            case AccessGranted() | AccessRevoked():
                _keep_newest(changes.grants, (event.company_id, event.accountant_id), event)
            case TaskCreated() | TaskAssigned() | TaskRescheduled() | TaskCompleted() | TaskReopened():
                keep_newest_version(changes.tasks, event)
    return changes


def _keep_newest(index: dict[K, E], key: K, event: E) -> None:
    current = index.get(key)
    if current is None or current.seq < event.seq:
        index[key] = event
