"""Accounts and aged reports are announced only when they differ from what was announced last."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.sync.pulling import PulledChanges
from services.sync.snapshots import only_changed_snapshots
from tests.builders import aged_balance, ledger_account

TODAY = date(2026, 11, 25)


def test_the_first_pull_announces_every_account_and_report() -> None:
    cash, vat = ledger_account(id="cash"), ledger_account(id="vat", number="20100")
    pulled = PulledChanges(accounts=[cash, vat], aged_payables=[aged_balance()], aged_receivables=[])

    trimmed, fingerprints = only_changed_snapshots(pulled, {}, TODAY)

    assert trimmed.accounts == [cash, vat]
    assert trimmed.aged_payables == [aged_balance()]
    assert trimmed.aged_receivables == []
    assert set(fingerprints) == {"account:cash", "account:vat", "aged_payables", "aged_receivables"}


def test_a_ledger_move_announces_only_the_accounts_whose_balance_changed() -> None:
    cash, vat = ledger_account(id="cash"), ledger_account(id="vat", number="20100")
    first = PulledChanges(accounts=[cash, vat], aged_payables=[aged_balance()], aged_receivables=[])
    _, announced = only_changed_snapshots(first, {}, TODAY)

    moved_cash = cash.model_copy(update={"balance": Decimal("1250.00")})
    again = PulledChanges(accounts=[moved_cash, vat], aged_payables=[aged_balance()], aged_receivables=[])
    trimmed, fingerprints = only_changed_snapshots(again, announced, TODAY)

    assert trimmed.accounts == [moved_cash]
    assert trimmed.aged_payables is None, "an unchanged report is not announced again"
    assert trimmed.aged_receivables is None
    assert fingerprints["account:vat"] == announced["account:vat"]
    assert fingerprints["account:cash"] != announced["account:cash"]


def test_an_unchanged_aged_report_is_announced_again_on_a_new_day() -> None:
    pulled = PulledChanges(aged_payables=[aged_balance()])
    _, announced = only_changed_snapshots(pulled, {}, TODAY)

    tomorrow, _ = only_changed_snapshots(pulled, announced, date(2026, 11, 26))

    assert tomorrow.aged_payables == [aged_balance()]


def test_no_reread_leaves_the_fingerprints_as_they_were() -> None:
    announced = {"account:cash": "digest", "aged_payables": "other"}

    trimmed, fingerprints = only_changed_snapshots(PulledChanges(), announced, TODAY)

    assert trimmed.accounts is None
    assert trimmed.aged_payables is None
    assert fingerprints == announced
