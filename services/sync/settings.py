"""The sync service's configuration, from `SYNC_*` (and the shared `HUB_*`) variables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import ServiceSettings

BUSINESS_CENTRAL_API = "https://api.businesscentral.dynamics.com"
BUSINESS_CENTRAL_LOGIN = "https://login.microsoftonline.com"
BUSINESS_CENTRAL_WEB = "https://businesscentral.dynamics.com"
BC_REQUESTS_AT_ONCE = 5
"""Business Central processes this many requests of an environment at once."""
POLL_BUDGET_SHARE = 0.5
"""The share of an environment's request budget that polls use by default."""


class ClientConnection(BaseModel):
    """A connection to one client's Business Central environment, and who may see its companies."""

    model_config = ConfigDict(frozen=True)

    client_id: str = Field(min_length=1, description="our id for the connection (tenant/environment)")
    client_name: str = Field(min_length=1)
    tenant: str = Field(min_length=1)
    environment: str = "production"
    api_base_url: str = BUSINESS_CENTRAL_API
    login_base_url: str = BUSINESS_CENTRAL_LOGIN
    web_client_url: str = BUSINESS_CENTRAL_WEB
    oauth_client_id: str
    oauth_client_secret: SecretStr
    local_currency: str = Field(default="USD", min_length=3, max_length=3)
    time_zone: str = Field(default="UTC", description="IANA zone of the client's companies ('today')")
    company_time_zones: dict[str, str] = Field(
        default_factory=dict, description="company id -> zone, where it differs"
    )
    company_currencies: dict[str, str] = Field(
        default_factory=dict, description="company id -> local currency, where it differs"
    )
    granted_to: tuple[str, ...] = Field(default=(), description="work emails of accountants granted access")
    task_user_emails: dict[str, str] = Field(
        default_factory=dict,
        description="BC user security id -> work email: tasks assigned to that user reach their My Tasks",
    )


class SyncSettings(BaseSettings):
    """Which clients to sync and how often."""

    # hide_input_in_errors: a malformed connection list must not print its OAuth secrets.
    model_config = SettingsConfigDict(
        env_prefix="SYNC_", frozen=True, extra="ignore", hide_input_in_errors=True
    )

    common: ServiceSettings = Field(default_factory=ServiceSettings)
    connections: tuple[ClientConnection, ...] = Field(
        default=(), description="JSON list of client connections (until the gateway registers them)"
    )
    connections_file: Path | None = Field(
        default=None,
        description="a file holding that JSON list instead (a mounted Secret; no size limit, where one "
        "environment variable holds at most 128 KiB)",
    )
    poll_interval_seconds: float = Field(
        default=1.0,
        gt=0,
        description="each company is polled once per interval (after the first pass, spread evenly over it)",
    )
    heartbeat_seconds: float = Field(
        default=60.0, gt=0, description="re-announce a good sync at least this often"
    )
    requests_per_window: int = Field(default=6000, ge=1, description="per environment (BC: 6,000 per 5 min)")
    window_seconds: float = Field(default=300.0, gt=0)
    poll_budget_share: float = Field(
        default=POLL_BUDGET_SHARE,
        gt=0,
        le=1,
        description="polls use at most this share of their environment's request budget, evenly (a poll "
        "waits while the last 10 s used their share of it): the rest stays for webhook, refresh and "
        "subscription requests, which a poll faster than the budget allows would otherwise queue behind",
    )
    max_concurrent_requests: int = Field(
        default=BC_REQUESTS_AT_ONCE, ge=1, description="per environment; BC processes 5 at once"
    )
    companies_at_once: int = Field(
        default=200,
        ge=1,
        description="companies synced at once by this process, of all its connections (and of one "
        "connection, at most SYNC_MAX_CONCURRENT_REQUESTS); the others wait before pulling. A pass holds "
        "what it pulled until Kafka acknowledged it, so this bounds sync's memory",
    )
    full_pass_interval_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="list every record id this often to find deleted ones (BC has no delete marker)",
    )
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    state_cache_companies: int = Field(
        default=10_000,
        ge=0,
        description="companies whose sync state is kept in memory between passes (0: read it every pass)",
    )
    registration_api_base_url: str = Field(default=BUSINESS_CENTRAL_API, description="for registered clients")
    registration_login_base_url: str = Field(
        default=BUSINESS_CENTRAL_LOGIN, description="for registered clients"
    )
    registration_web_client_url: str = Field(
        default=BUSINESS_CENTRAL_WEB, description="for registered clients"
    )
    command_group_id: str = Field(default="sync-commands", description="consumer group of sync.commands")
    command_batch: int = Field(
        default=1000,
        ge=1,
        description="commands run concurrently per batch: a refresh-all in one, so no environment waits",
    )
    port: int = 8001
    webhook_base_url: str | None = Field(
        default=None,
        description="where client systems reach sync (e.g. https://sync.example); unset: poll only",
    )
    webhook_client_state: SecretStr = Field(
        default=SecretStr(""), description="the secret every notification must carry as clientState"
    )
    webhook_renew_before_seconds: float = Field(
        default=86400.0, gt=0, description="renew a subscription this long before it expires (BC: 3 days)"
    )
    webhook_check_seconds: float = Field(default=300.0, gt=0, description="how often subscriptions are kept")
    trust_webhooks: bool = Field(
        default=False,
        description="poll a company whose every subscription is live for its user tasks only (its other "
        "feeds come by notification, and whole at each full pass): one request per poll instead of one "
        "per feed. Worth it when polls are slower than BC's notification delay (about 30 s), e.g. many "
        "companies per environment; with a fast poll, full polls see a change sooner",
    )
    webhook_subscribe_concurrency: int = Field(
        default=2,
        ge=1,
        description="subscriptions created or renewed at once per environment, within "
        "SYNC_MAX_CONCURRENT_REQUESTS: the other request slots stay free for syncs",
    )

    @model_validator(mode="before")
    @classmethod
    def _connections_from_file(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data.get("connections_file"):
            return data
        if data.get("connections"):
            raise ValueError("set SYNC_CONNECTIONS or SYNC_CONNECTIONS_FILE, not both")
        path = Path(data["connections_file"])
        try:
            connections = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ValueError(f"SYNC_CONNECTIONS_FILE {path}: not a readable JSON list ({error})") from error
        return {**data, "connections": connections}

    @model_validator(mode="after")
    def _webhooks_need_a_client_state(self) -> SyncSettings:
        if self.webhook_base_url and not self.webhook_client_state.get_secret_value():
            raise ValueError(
                "SYNC_WEBHOOK_BASE_URL is set: set SYNC_WEBHOOK_CLIENT_STATE to a long random secret"
            )
        return self
