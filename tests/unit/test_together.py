"""Independent database commands sent together: all finish before a failure is raised."""

from __future__ import annotations

import asyncio

import pytest

from shared.concurrency import together


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


async def test_results_come_back_in_argument_order_whichever_ends_first() -> None:
    async def after(seconds: float, value: str) -> str:
        await asyncio.sleep(seconds)
        return value

    assert await together(after(0.03, "slow"), after(0.0, "quick")) == ["slow", "quick"]


async def test_the_first_failure_in_argument_order_is_told_not_the_first_to_happen() -> None:
    async def fails(seconds: float, name: str) -> None:
        await asyncio.sleep(seconds)
        raise ValueError(name)

    with pytest.raises(ValueError, match="salesInvoices"):
        await together(fails(0.03, "salesInvoices"), fails(0.0, "purchaseInvoices"))
