"""The tasks service owns the `tasks` collection; nobody else reads or writes it."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import Document


class MongoTaskStore:
    """User tasks in MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._tasks = db["tasks"]

    async def create_indexes(self) -> None:
        """Indexes for "tasks of a company" and "tasks assigned to me, by due date"."""
        await self._tasks.create_index([("company_id", 1), ("status", 1)])
        await self._tasks.create_index([("assignee", 1), ("status", 1), ("due_date", 1)])

    async def count(self) -> int:
        """How many tasks are stored."""
        return await self._tasks.count_documents({})
