"""Prometheus metrics: each service owns its registry (no process-wide globals) and serves /metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def serve_metrics(app: FastAPI, registry: CollectorRegistry) -> None:
    """Mount /metrics and time every HTTP request by route template (never by raw path: ids stay out)."""
    latency = Histogram(
        "hub_http_request_duration_seconds",
        "HTTP request latency",
        ["method", "route", "status"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )

    @app.middleware("http")
    async def time_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        latency.labels(request.method, template, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
