"""Independent database commands sent together: all finish before a failure is raised."""

from __future__ import annotations

import asyncio

import pytest

from shared.mongo import together


async def test_every_command_finishes_before_the_first_failure_is_raised() -> None:
    finished: list[str] = []

    async def fails_at_once() -> None:
        raise ValueError("first")

    async def slow_write() -> None:
        await asyncio.sleep(0.05)
        finished.append("slow")

    with pytest.raises(ValueError, match="first"):
        await together(fails_at_once(), slow_write())

    assert finished == ["slow"]


async def test_commands_run_at_the_same_time() -> None:
    running: list[int] = []
    most = 0

    async def command() -> None:
        nonlocal most
        running.append(1)
        most = max(most, len(running))
        await asyncio.sleep(0.01)
        running.pop()

    await together(command(), command(), command())

    assert most == 3
