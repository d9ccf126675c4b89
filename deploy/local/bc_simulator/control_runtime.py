"""Control endpoints for the mutator and the counters benchmarks read (not part of BC)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from .control import CamelModel
from .deps import Simulator, SimulatorDep

router = APIRouter(prefix="/_simulator", tags=["Simulator control (not BC)"])


class MutatorStart(CamelModel):
    """`{"changes_per_second": N}` (or `changesPerSecond`)."""

    changes_per_second: float = Field(gt=0, le=10_000)


class MutatorSteps(CamelModel):
    """How many changes to make right now, synchronously."""

    changes: int = Field(default=1, ge=1, le=100_000)


class MutatorStatus(CamelModel):
    """Whether the mutator runs, at what rate, and how many changes it made so far."""

    running: bool
    changes_per_second: float
    changes_made: int
    last_error: str | None
    changes: list[str] = Field(default_factory=list)


@router.get("/mutator")
async def mutator_status(sim: SimulatorDep) -> MutatorStatus:
    """The mutator's state."""
    return _status(sim)


@router.post("/mutator/start")
async def start_mutator(start: MutatorStart, sim: SimulatorDep) -> MutatorStatus:
    """Keep posting business changes at `changes_per_second` until stopped."""
    sim.mutator.start(start.changes_per_second)
    return _status(sim)


@router.post("/mutator/stop")
async def stop_mutator(sim: SimulatorDep) -> MutatorStatus:
    """Stop posting changes."""
    await sim.mutator.stop()
    return _status(sim)


@router.post("/mutator/step")
async def step_mutator(steps: MutatorSteps, sim: SimulatorDep) -> MutatorStatus:
    """Make `changes` changes now (deterministic for the seed), and say what they were."""
    made = [sim.mutator.step() for _ in range(steps.changes)]
    return _status(sim).model_copy(update={"changes": made})


@router.get("/stats")
async def stats(sim: SimulatorDep) -> dict[str, Any]:
    """What the simulator served and refused, the limits it enforces, webhook deliveries."""
    return _stats(sim)


@router.get("/stats/admissions")
async def admissions(sim: SimulatorDep) -> dict[str, Any]:
    """When each client's requests were admitted (epoch seconds, oldest first), with the window limit."""
    return {
        "limits": _limits(sim),
        "clients": [
            {"tenantId": t, "clientId": c, "admittedAt": list(times)}
            for (t, c), times in sorted(sim.throttle.stats.admitted_at.items())
        ],
    }


@router.post("/stats/reset")
async def reset_stats(sim: SimulatorDep) -> dict[str, Any]:
    """Zero the request counters (e.g. before a benchmark run)."""
    sim.throttle.reset_stats()
    return _stats(sim)


def _status(sim: Simulator) -> MutatorStatus:
    mutator = sim.mutator
    return MutatorStatus(
        running=mutator.running,
        changes_per_second=mutator.changes_per_second,
        changes_made=mutator.changes_made,
        last_error=mutator.last_error,
    )


def _stats(sim: Simulator) -> dict[str, Any]:
    seen = sim.throttle.stats
    return {
        "requestsServed": seen.requests_served,
        "requestsThrottled": seen.throttled_by_window + seen.throttled_by_queue,
        "throttledByWindow": seen.throttled_by_window,
        "throttledByQueue": seen.throttled_by_queue,
        "maxConcurrencyObserved": seen.max_concurrency_observed,
        "maxQueuedObserved": seen.max_queued_observed,
        "maxRequestsInWindowObserved": seen.max_requests_in_window_observed,
        "limits": _limits(sim),
        "clients": [
            {
                "tenantId": t,
                "clientId": c,
                "requestsServed": n,
                "requestsInWindow": sim.throttle.in_window((t, c)),
            }
            for (t, c), n in sorted(seen.served_by_client.items())
        ],
        "webhooks": _webhooks(sim),
        "mutator": _status(sim).model_dump(by_alias=True, exclude={"changes"}),
    }


def _limits(sim: Simulator) -> dict[str, Any]:
    settings = sim.settings
    return {
        "maxConcurrentRequests": settings.max_concurrent_requests,
        "maxQueuedRequests": settings.max_queued_requests,
        "requestsPerWindow": settings.requests_per_window,
        "windowSeconds": settings.window_seconds,
    }


def _webhooks(sim: Simulator) -> dict[str, Any]:
    delivered = sim.webhooks.notifier.stats
    return {
        "subscriptions": len(sim.webhooks.registry.live()),
        "postsDelivered": delivered.posts_delivered,
        "noticesDelivered": delivered.notices_delivered,
        "failedAttempts": delivered.failed_attempts,
        "subscriptionsDeleted": delivered.subscriptions_deleted,
    }
