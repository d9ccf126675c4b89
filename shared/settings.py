"""Settings shared by every service; each service adds its own with its own env prefix."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Where Kafka and MongoDB are, and how to log. Read from the environment, never at import."""

    model_config = SettingsConfigDict(env_prefix="HUB_", frozen=True, extra="ignore")

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092")
    mongo_url: str = Field(default="mongodb://127.0.0.1:27017/?directConnection=true")
    mongo_database: str = Field(default="accountant_hub")
    kafka_partitions: int = Field(default=6, ge=1, description="partitions of each project topic")
    log_json: bool | None = Field(default=None, description="JSON logs; default: when not a TTY")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
