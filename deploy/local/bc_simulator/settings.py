"""Settings of the Business Central simulator, read from `BC_SIM_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SimulatorSettings(BaseSettings):
    """What the simulator generates, which credentials it accepts, and where it listens."""

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
