"""The gateway's configuration, from `GATEWAY_*` (and the shared `HUB_*`) variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import ServiceSettings


class AccountSeed(BaseModel):
    """An accountant account to create at start-up if missing (the local sample accountant)."""

    model_config = ConfigDict(frozen=True)

    email: str = Field(min_length=3)
    password: SecretStr = Field(min_length=8)


class GatewaySettings(BaseSettings):
    """Where the gateway listens and who can sign in before sign-up exists."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", frozen=True, extra="ignore")

    common: ServiceSettings = Field(default_factory=ServiceSettings)
    seed_accounts: tuple[AccountSeed, ...] = Field(default=(), description="JSON list of {email, password}")
    session_ttl_hours: float = Field(default=12.0, gt=0)
    secure_cookies: bool = Field(default=True, description="set false only for plain-HTTP local runs")
    static_dir: Path = Field(default=Path(__file__).parent / "static")
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="larger request bodies get 413")
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="a connection's request head must arrive within this, else 408"
    )
    body_timeout_seconds: float = Field(
        default=20.0, gt=0, description="a request body must arrive within this, else 408"
    )
    keep_alive_seconds: int = Field(default=5, ge=1, description="idle keep-alive connections close then")
    tasks_url: str = Field(default="http://127.0.0.1:8003", description="the tasks service's internal API")
    tasks_timeout_seconds: float = Field(default=10.0, gt=0)
    kafka_enabled: bool = Field(
        default=True, description="false: no Kafka (reads only; refresh and grants answer 503)"
    )
    refresh_timeout_seconds: float = Field(default=300.0, gt=0, description="unanswered companies fail then")
    refresh_jobs_per_minute: int = Field(default=10, ge=1, description="new refresh jobs per accountant")
    progress_group_id: str = Field(default="gateway-refresh-progress")
    stream_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        description="how often /stream reads the caller's refresh jobs, and retries following dashboard "
        "row changes when MongoDB's change stream is unavailable (rows themselves are pushed as they change)",
    )
    stream_session_check_seconds: float = Field(
        default=15.0,
        gt=0,
        description="how often an open /stream checks its session is still valid; it ends once it is not",
    )
    oidc_issuer: str | None = Field(default=None, description="accept bearer tokens from this OpenID issuer")
    oidc_audience: str | None = Field(default=None, description="the `aud` those tokens must carry")
    oidc_jwks_url: str | None = Field(default=None, description="where the issuer publishes its signing keys")
    public_email_domains: tuple[str, ...] = Field(
        default=(
            "gmail.com",
            "googlemail.com",
            "outlook.com",
            "hotmail.com",
            "live.com",
            "yahoo.com",
            "icloud.com",
        ),
        description="sign-up needs a work email: addresses at these domains are refused",
    )
    port: int = 8000

    @model_validator(mode="after")
    def _oidc_complete(self) -> GatewaySettings:
        given = [self.oidc_issuer, self.oidc_audience, self.oidc_jwks_url]
        if any(given) and not all(given):
            raise ValueError(
                "set GATEWAY_OIDC_ISSUER, GATEWAY_OIDC_AUDIENCE and GATEWAY_OIDC_JWKS_URL together"
            )
        return self
