"""Sync's client connections come from SYNC_CONNECTIONS or, past one variable's 128 KiB, a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.sync.settings import SyncSettings

SECRET = "never-print-this-secret"


def connection(n: int) -> dict[str, str]:
    return {
        "client_id": f"tenant-{n}/production",
        "client_name": f"Client {n} " + "x" * 2000,  # big enough that 100 of them pass 128 KiB
        "tenant": f"tenant-{n}",
        "oauth_client_id": "accountant-hub",
        "oauth_client_secret": SECRET,
    }


def test_connections_over_one_variables_limit_are_read_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "connections.json"
    path.write_text(json.dumps([connection(n) for n in range(100)]))
    assert path.stat().st_size > 128 * 1024
    monkeypatch.setenv("SYNC_CONNECTIONS_FILE", str(path))

    settings = SyncSettings()

    assert [c.client_id for c in settings.connections] == [f"tenant-{n}/production" for n in range(100)]
    assert settings.connections[0].oauth_client_secret.get_secret_value() == SECRET


def test_connections_in_the_variable_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNC_CONNECTIONS", json.dumps([connection(1)]))

    assert [c.client_id for c in SyncSettings().connections] == ["tenant-1/production"]


def test_both_the_variable_and_the_file_is_refused_without_printing_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "connections.json"
    path.write_text(json.dumps([connection(2)]))
    monkeypatch.setenv("SYNC_CONNECTIONS_FILE", str(path))
    monkeypatch.setenv("SYNC_CONNECTIONS", json.dumps([connection(1)]))

    with pytest.raises(ValidationError, match="not both") as raised:
        SyncSettings()
    assert SECRET not in str(raised.value)


def test_a_missing_connections_file_names_the_setting_and_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNC_CONNECTIONS_FILE", str(tmp_path / "absent.json"))

    with pytest.raises(ValidationError, match=r"SYNC_CONNECTIONS_FILE .*absent\.json"):
        SyncSettings()
