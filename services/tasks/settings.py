"""The tasks service's configuration, from `TASKS_*` (and the shared `HUB_*`) variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import ServiceSettings


class TasksSettings(BaseSettings):
    """Where the tasks service listens."""

    model_config = SettingsConfigDict(env_prefix="TASKS_", frozen=True, extra="ignore")

    common: ServiceSettings = Field(default_factory=ServiceSettings)
    port: int = 8003
