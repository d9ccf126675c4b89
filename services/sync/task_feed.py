"""The user tasks feed: the client's whole pending list, published only when it changed.

BC's task pages have no change marker, so each pull reads the list (one request) and its
watermark is a fingerprint of the list last published: an unchanged list publishes nothing, and
a task missing from a new list was completed in the client's system.
"""

from __future__ import annotations

import hashlib

from services.sync.connectors.base import Connector, RemoteCompany
from services.sync.publishing import EventFactory
from services.sync.repository import Watermark
from shared.events import ClientUserTasksReported
from shared.ids import CompanyId
from shared.records import ClientUserTask

USER_TASKS_FEED = "userTasks"


async def pull_user_tasks(
    connector: Connector, company: RemoteCompany, mark: Watermark
) -> tuple[list[ClientUserTask] | None, Watermark]:
    """The pending tasks when they differ from those last published (else None), and the new mark."""
    tasks = sorted(await connector.user_tasks(company), key=lambda t: t.remote_id)
    fingerprint = hashlib.sha256(b"\n".join(t.model_dump_json().encode() for t in tasks)).hexdigest()
    new_mark = Watermark(ids=frozenset({fingerprint}))
    if fingerprint in mark.ids or (not tasks and not mark.ids):
        return None, new_mark  # unchanged, or nothing pending and nothing ever announced
    return tasks, new_mark


def user_tasks_event(company_id: CompanyId, tasks: list[ClientUserTask] | None) -> list[EventFactory]:
    """One ClientUserTasksReported when the list changed."""
    if tasks is None:
        return []
    listed = tuple(tasks)
    return [lambda seq: ClientUserTasksReported(company_id=company_id, seq=seq, tasks=listed)]
