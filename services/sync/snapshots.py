"""Balances and the aged reports have no change marker: sync re-reads them whenever the ledger moved,
and announces only the ones that differ from what it announced last (per account, per report).

Without this, every posting re-announced every G/L account of the company: 86% of sync's events in
the freshness benchmark, and the aggregator fell behind on them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from pydantic import BaseModel

from services.sync.pulling import PulledChanges
from shared.records import AgedBalance


def fingerprint(*parts: BaseModel | str) -> str:
    """A digest of what an event would carry."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part if isinstance(part, str) else part.model_dump_json()).encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


class Announced:
    """The fingerprint of each snapshot announced last, updated as changed ones are let through."""

    def __init__(self, fingerprints: Mapping[str, str]) -> None:
        self.fingerprints = dict(fingerprints)

    def changed(self, key: str, digest: str) -> bool:
        """Whether the snapshot under `key` differs from the one announced last (it is now noted)."""
        if self.fingerprints.get(key) == digest:
            return False
        self.fingerprints[key] = digest
        return True

    def report(self, key: str, lines: Sequence[AgedBalance] | None, today: date) -> list[AgedBalance] | None:
        """An aged report if it changed; aged as of today, so a new day is a new report."""
        if lines is None or not self.changed(key, fingerprint(today.isoformat(), *lines)):
            return None
        return list(lines)


def only_changed_snapshots(
    pulled: PulledChanges, announced: Mapping[str, str], today: date
) -> tuple[PulledChanges, dict[str, str]]:
    """`pulled` without the accounts and reports announced before unchanged, and the fingerprints of
    everything announced once these are (saved with the watermarks, after publishing)."""
    seen = Announced(announced)
    accounts = (
        None
        if pulled.accounts is None
        else [a for a in pulled.accounts if seen.changed(f"account:{a.id}", fingerprint(a))]
    )
    trimmed = replace(
        pulled,
        accounts=accounts,
        aged_payables=seen.report("aged_payables", pulled.aged_payables, today),
        aged_receivables=seen.report("aged_receivables", pulled.aged_receivables, today),
    )
    return trimmed, seen.fingerprints
