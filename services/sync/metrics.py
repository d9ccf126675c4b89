"""What the sync service reports to Prometheus."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

SYNC_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class SyncMetrics:
    """Sync durations and outcomes, and every request to the client systems by HTTP status (429s too)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.sync_seconds = Histogram(
            "hub_sync_duration_seconds",
            "One company's sync pass",
            ["outcome"],
            buckets=SYNC_BUCKETS,
            registry=registry,
        )
        self.client_requests = Counter(
            "hub_client_requests_total", "Requests to client systems", ["status"], registry=registry
        )

    def response(self, status: int) -> None:
        """Count one answer from a client system."""
        self.client_requests.labels(str(status)).inc()
