"""Settings of the Business Central simulator, read from `BC_SIM_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

THREE_DAYS = 3 * 24 * 3600


class SimulatorSettings(BaseSettings):
    """What the simulator generates, which credentials it accepts, where it listens, and the
    limits it enforces (BC's documented defaults; tests and benchmarks tighten them)."""

    model_config = SettingsConfigDict(env_prefix="BC_SIM_", frozen=True, extra="ignore")

    seed: int = Field(default=42, description="seed of the generated books")
    tenants: int = Field(default=3, ge=1, description="client firms (Entra tenants)")
    companies_per_tenant: int = Field(default=2, ge=1)
    environment: str = Field(default="production", min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    client_id: str = Field(default="accountant-hub", min_length=1)
    client_secret: str = Field(default="local-secret", min_length=1)
    token_ttl_seconds: int = Field(default=3600, ge=0, description="0 issues expired tokens")
    page_size: int = Field(default=1000, ge=1, le=20_000, description="server page size")
    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)

    # Limits per environment and per client, as BC documents them.
    max_concurrent_requests: int = Field(default=5, ge=1, description="processed at once per environment")
    max_queued_requests: int = Field(default=95, ge=0, description="waiting per environment before 429")
    requests_per_window: int = Field(default=6000, ge=1, description="per client in the sliding window")
    window_seconds: float = Field(default=300.0, gt=0, description="length of the sliding window")
    retry_after_on_429: bool = Field(default=True, description="send Retry-After with a 429")

    # Webhooks.
    notification_delay_seconds: float = Field(default=30.0, ge=0, description="batching delay")
    notification_collection_threshold: int = Field(
        default=1000, ge=1, description="more changes than this in a batch become one collection notice"
    )
    notification_retry_seconds: float = Field(default=60.0, gt=0, description="first retry backoff")
    notification_retry_limit_seconds: float = Field(default=36 * 3600.0, gt=0, description="give up after")
    subscription_ttl_seconds: int = Field(default=THREE_DAYS, ge=1, description="subscription lifetime")
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="handshake/notification timeout")

    # The "business day" mutator; 0 leaves it stopped at boot.
    mutator_changes_per_second: float = Field(default=0.0, ge=0, le=10_000)
