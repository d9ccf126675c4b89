"""The tasks service's configuration, from `TASKS_*` (and the shared `HUB_*`) variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import ServiceSettings


class TasksSettings(BaseSettings):
    """Where the tasks service listens, its consumer group and how often it re-sends its outbox."""

    model_config = SettingsConfigDict(env_prefix="TASKS_", frozen=True, extra="ignore")

    common: ServiceSettings = Field(default_factory=ServiceSettings)
    port: int = 8003
    group_id: str = "tasks"
    outbox_flush_seconds: float = Field(default=5.0, gt=0, description="re-send unpublished task events")
    retry_backoff_seconds: float = Field(default=1.0, ge=0)
