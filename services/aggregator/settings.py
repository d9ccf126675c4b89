"""The aggregator's configuration, from `AGGREGATOR_*` (and the shared `HUB_*`) variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import ServiceSettings


class AggregatorSettings(BaseSettings):
    """How the aggregator consumes and how big its batches are."""

    model_config = SettingsConfigDict(env_prefix="AGGREGATOR_", frozen=True, extra="ignore")

    common: ServiceSettings = Field(default_factory=ServiceSettings)
    group_id: str = "aggregator"
    max_batch: int = Field(
        default=10_000,
        ge=1,
        description="most events taken in one batch; only a backlog fills it (a batch is cut after "
        "batch_timeout_ms), and a fuller batch coalesces more events per company into one set of writes",
    )
    batch_timeout_ms: int = Field(default=50, ge=1, description="longest wait to fill a batch")
    session_timeout_ms: int = Field(
        default=10_000, ge=1000, description="how long a silent (crashed) consumer keeps its partitions"
    )
    rollover_check_seconds: float = Field(default=60.0, gt=0, description="how often 'today' is re-checked")
    retry_backoff_seconds: float = Field(
        default=1.0, gt=0, description="pause before redelivery on a transient error"
    )
    cached_companies: int = Field(
        default=50_000,
        ge=0,
        description="companies whose stored state is kept between batches (0: read it back every batch)",
    )
    park_poison: bool = Field(
        default=True,
        description="publish poison events to `<topic>.dlq` (a replay sets False: the live run parked them)",
    )
    port: int = 8002
