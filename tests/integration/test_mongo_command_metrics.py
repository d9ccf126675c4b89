"""Every MongoDB command a service sends is timed under its own name and collection, on the real server."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import CollectorRegistry
from pymongo.errors import OperationFailure

from deploy.local.mongo import MongoServer
from shared.mongo import connect, database
from shared.mongo_metrics import MongoCommandMetrics


def _count(registry: CollectorRegistry, command: str, collection: str, outcome: str = "ok") -> float:
    labels = {"command": command, "collection": collection, "outcome": outcome}
    value = registry.get_sample_value("hub_mongo_command_seconds_count", labels)
    return value or 0.0


async def test_commands_are_counted_per_command_and_collection(mongo_server: MongoServer) -> None:
    registry = CollectorRegistry()
    client = connect(mongo_server.url, app_name="tests", listeners=[MongoCommandMetrics(registry)])
    try:
        db = database(client, f"test_{uuid.uuid4().hex[:12]}")
        await db["rows"].insert_many([{"_id": n} for n in range(250)])
        found = [doc async for doc in db["rows"].find({}, batch_size=100)]  # one find and two getMores
        await db["other"].update_one({"_id": 1}, {"$set": {"x": 1}}, upsert=True)
    finally:
        await client.close()

    assert len(found) == 250
    assert _count(registry, "insert", "rows") == 1
    assert _count(registry, "find", "rows") == 1
    assert _count(registry, "getMore", "rows") == 2
    assert _count(registry, "update", "other") == 1
    assert _count(registry, "update", "rows") == 0


async def test_a_command_the_server_refuses_is_counted_as_failed(mongo_server: MongoServer) -> None:
    registry = CollectorRegistry()
    client = connect(mongo_server.url, app_name="tests", listeners=[MongoCommandMetrics(registry)])
    try:
        db = database(client, f"test_{uuid.uuid4().hex[:12]}")
        with pytest.raises(OperationFailure):
            await db.command("countEverythingTwice", "rows")
    finally:
        await client.close()

    assert _count(registry, "countEverythingTwice", "rows", outcome="failed") == 1
    assert _count(registry, "countEverythingTwice", "rows") == 0
