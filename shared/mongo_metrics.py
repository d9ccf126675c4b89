"""How long each MongoDB command takes, per command and collection, as a service sees it (Prometheus).

Which service keeps the database busy, and with what, is otherwise invisible: the server is shared.
The times are the client's (they include waiting for the server and the network), which is what the
service's own latency is made of.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Histogram
from pymongo import monitoring

MONGO_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class MongoCommandMetrics(monitoring.CommandListener):
    """`hub_mongo_command_seconds{command, collection, outcome}`, fed by PyMongo's command monitoring."""

    registry: CollectorRegistry
    _collections: dict[tuple[object, int], str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.seconds = Histogram(
            "hub_mongo_command_seconds",
            "MongoDB commands as this service sees them, by command and collection",
            ["command", "collection", "outcome"],
            buckets=MONGO_BUCKETS,
            registry=self.registry,
        )

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        """Remember which collection the command names (its reply does not say)."""
        target = event.command.get("collection" if event.command_name == "getMore" else event.command_name)
        self._collections[(event.connection_id, event.request_id)] = target if isinstance(target, str) else ""

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Count a command that answered."""
        self._observe(event, "ok")

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Count a command that failed (it took the server's time too)."""
        self._observe(event, "failed")

    def _observe(
        self, event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent, outcome: str
    ) -> None:
        collection = self._collections.pop((event.connection_id, event.request_id), "")
        self.seconds.labels(event.command_name, collection, outcome).observe(event.duration_micros / 1e6)
