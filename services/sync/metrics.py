"""What the sync service reports to Prometheus."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

SYNC_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
WAIT_BUCKETS = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class SyncMetrics:
    """Sync durations and outcomes, how long a pass waited before it began, and every request to the
    client systems by HTTP status (429s too), with how long it queued and how long the answer took."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.sync_seconds = Histogram(
            "hub_sync_duration_seconds",
            "One company's sync pass, its wait to begin included",
            ["outcome"],
            buckets=SYNC_BUCKETS,
            registry=registry,
        )
        self.wait_seconds = Histogram(
            "hub_sync_wait_seconds",
            "How long a pass waited for the company's previous pass and for its turn before it began",
            buckets=WAIT_BUCKETS,
            registry=registry,
        )
        self.client_requests = Counter(
            "hub_client_requests_total", "Requests to client systems", ["status"], registry=registry
        )
        self.client_queue_seconds = Histogram(
            "hub_client_request_queue_seconds",
            "How long a request to a client system waited for one of its environment's request slots "
            "and its request budget",
            buckets=WAIT_BUCKETS,
            registry=registry,
        )
        self.client_answer_seconds = Histogram(
            "hub_client_request_seconds",
            "How long a client system took to answer a request, its whole body read",
            buckets=WAIT_BUCKETS,
            registry=registry,
        )

    def response(self, status: int, queued: float, answered: float) -> None:
        """Count one answer from a client system, with its time queued and its time to answer (s)."""
        self.client_requests.labels(str(status)).inc()
        self.client_queue_seconds.observe(queued)
        self.client_answer_seconds.observe(answered)
