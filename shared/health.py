"""Liveness and readiness endpoints every service exposes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse

ReadinessCheck = Callable[[], Awaitable[bool]]


def health_router(checks: Mapping[str, ReadinessCheck]) -> APIRouter:
    """`/health/live` answers while the process runs; `/health/ready` only when every check passes."""
    router = APIRouter(prefix="/health", tags=["health"])

    @router.get("/live")
    async def live() -> dict[str, str]:
        """The process is up."""
        return {"status": "alive"}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        """Every dependency (Kafka, MongoDB) answers; 503 names the ones that don't."""
        results = await asyncio.gather(*(_check(c) for c in checks.values()))
        status = dict(zip(checks, results, strict=True))
        code = 200 if all(results) else 503
        return JSONResponse({"ready": all(results), "checks": status}, status_code=code)

    return router


async def _check(check: ReadinessCheck) -> bool:
    try:
        return await asyncio.wait_for(check(), timeout=3)
    except Exception:
        return False
