"""Fault tests: servers and services crash under load; every test ends comparing the live
projections with a clean replay of the same topics (`services/aggregator/replay.py`)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from deploy.local.mongo import MongoServer, start_mongo
from services.aggregator.compare import compare_projections, describe
from services.aggregator.replay import rebuild
from services.aggregator.settings import AggregatorSettings
from shared.mongo import Document, database
from tests.aggregator_load import AggregatorProcess


@pytest.fixture
def processes() -> Iterator[list[AggregatorProcess]]:
    """Aggregator processes started by the test, stopped at its end."""
    started: list[AggregatorProcess] = []
    try:
        yield started
    finally:
        for process in started:
            process.stop()


@pytest.fixture
def own_mongo(tmp_path: Path) -> Iterator[MongoServer]:
    """A MongoDB server of this test alone, with on-disk storage, that the test may kill."""
    server = start_mongo(tmp_path / "mongo" / "db", log_path=tmp_path / "mongo.log")
    try:
        yield server
    finally:
        server.stop()


async def assert_equal_to_a_clean_replay(
    live: AsyncDatabase[Document], settings: AggregatorSettings, companies: Collection[str]
) -> None:
    """Rebuild the topics into a fresh database and fail naming each company and figure that differ."""
    clean = database(live.client, f"{live.name}_replayed")
    await rebuild(settings, clean.name, within=600)
    assert await clean["company_figures"].count_documents({}) == len(companies), "the replay missed companies"
    differences = await compare_projections(live, clean, companies)
    assert differences == [], describe(differences)
