"""The write-back command: complete a user task in the client's system, and say how it went.

The outcome travels back as a ClientUserTaskWriteBack event on company.records (keyed by the
company, under sync's per-company seq); the tasks service shows a failure on the task, so a
refused or unreachable client system is never swallowed. Completing an already completed task is
harmless in BC, so a redelivered command is safe to run again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
import structlog

from services.sync.connectors.base import ClientSystemError
from services.sync.directory import CompanyDirectory
from services.sync.handlers import SyncContext, failure_reason
from services.sync.publishing import Outbox
from shared.commands import CompleteUserTaskRequested
from shared.events import ClientUserTaskWriteBack
from shared.topics import COMPANY_RECORDS

log = structlog.get_logger()
NOT_CONNECTED = "the company is not in any connected client system; reconnect the client and try again"


@dataclass(frozen=True)
class TaskWriteBackHandler:
    """Runs CompleteUserTaskRequested through the connector of the company's connection."""

    contexts: Callable[[], Sequence[SyncContext]]
    directory: CompanyDirectory
    outbox: Outbox

    async def __call__(self, command: CompleteUserTaskRequested) -> None:
        """Complete the task in the client's system; publish the outcome either way."""
        error: str | None = None
        found = self.directory.find(command.company_id)
        ctx = next((c for c in self.contexts() if found and c.connection.client_id == found[0]), None)
        if found is None or ctx is None:
            error = NOT_CONNECTED
        else:
            try:
                await ctx.connector.complete_user_task(found[1], command.remote_id)
            except (ClientSystemError, httpx.HTTPError) as failure:
                error = failure_reason(failure)
        if error is not None:
            log.warning("task_write_back_failed", company_id=command.company_id, task_id=command.task_id)
        batch = self.outbox.batch(command.company_id)
        batch.add(
            COMPANY_RECORDS,
            lambda seq: ClientUserTaskWriteBack(
                company_id=command.company_id,
                seq=seq,
                task_id=command.task_id,
                remote_id=command.remote_id,
                error=error,
                correlation_id=command.correlation_id,
                causation_id=str(command.command_id),
            ),
        )
        await batch.publish()
