"""Settings shared by every service; each service adds its own with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
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
    credentials_key: SecretStr | None = Field(
        default=None,
        description="Fernet key (gateway and sync) encrypting client credentials in commands and at rest",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="SSL or SASL_SSL in production (Strimzi's TLS listener)"
    )
    kafka_ssl_cafile: Path | None = Field(
        default=None, description="CA bundle of the brokers' certificates; the system CAs when unset"
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> ServiceSettings:
        if self.kafka_security_protocol == "SASL_SSL" and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                "HUB_KAFKA_SECURITY_PROTOCOL=SASL_SSL needs "
                "HUB_KAFKA_SASL_USERNAME and HUB_KAFKA_SASL_PASSWORD"
            )
        return self
