"""Kafka TLS and SASL settings become the broker's security, and bad combinations say what's missing."""

from __future__ import annotations

import pytest
from faststream.security import SASLScram256, SASLScram512
from pydantic import ValidationError

from shared.kafka import kafka_security
from shared.settings import ServiceSettings


def test_plaintext_needs_no_security() -> None:
    assert kafka_security(ServiceSettings()) is None


def test_tls_only_uses_ssl_without_credentials() -> None:
    security = kafka_security(ServiceSettings(kafka_security_protocol="SSL"))
    assert security is not None
    assert security.use_ssl is True
    assert security.ssl_context is not None
    assert not isinstance(security, SASLScram512 | SASLScram256)


def test_sasl_scram_carries_the_credentials_over_tls() -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="aggregator",
        kafka_sasl_password="s3cret",
    )
    security = kafka_security(settings)
    assert isinstance(security, SASLScram256)
    assert (security.username, security.password, security.use_ssl) == ("aggregator", "s3cret", True)


def test_sasl_without_credentials_names_the_missing_variables() -> None:
    with pytest.raises(ValidationError, match="HUB_KAFKA_SASL_USERNAME and HUB_KAFKA_SASL_PASSWORD"):
        ServiceSettings(kafka_security_protocol="SASL_SSL")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("HUB_KAFKA_SASL_USERNAME", "sync")
    monkeypatch.setenv("HUB_KAFKA_SASL_PASSWORD", "from-a-secret")
    security = kafka_security(ServiceSettings())
    assert isinstance(security, SASLScram512)
    assert security.username == "sync"
