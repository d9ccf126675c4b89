"""A company's general ledger: posted entries, account balances, and the subledger of documents."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from .chart import CHART, ZERO, totalled
from .entities_ledger import Account, GeneralLedgerEntry
from .gen_common import id_series
from .postings import Posting, Rules, Target

_SERIES = {
    "PAY": ("PAY-", 200001),
    "REF": ("REF-", 300001),
    "S-CR": ("S-CR-", 104001),
    "S-CINV": ("S-CINV-", 105001),
    "P-CR": ("P-CR-", 109001),
}


class NumberSeries:
    """BC's No. Series: the next number of each series, continuing after those already used."""

    def __init__(self, used: Iterable[str] = ()) -> None:
        self._next = {series: start for series, (_, start) in _SERIES.items()}
        for number in used:
            for series, (prefix, _) in _SERIES.items():
                match = re.fullmatch(re.escape(prefix) + r"(\d+)", number)
                if match:
                    self._next[series] = max(self._next[series], int(match[1]) + 1)

    def next(self, series: str) -> str:
        """The next number of the series, e.g. `PAY-200001`."""
        number = self._next[series]
        self._next[series] = number + 1
        return f"{_SERIES[series][0]}{number}"


@dataclass(frozen=True)
class _DocumentState:
    recognised: bool
    outstanding: Decimal


class Subledger:
    """What each document has posted so far, and the postings that bring it to its target."""

    def __init__(self, numbers: NumberSeries) -> None:
        self.numbers = numbers
        self._documents: dict[str, _DocumentState] = {}

    def knows(self, key: str) -> bool:
        """Whether the document's posted state is recorded."""
        return key in self._documents

    def assume(self, rules: Rules) -> None:
        """Record that the document's entries already bring it to its target."""
        self._documents[rules.key] = _DocumentState(rules.target.recognised, rules.target.outstanding)

    def reconcile(self, rules: Rules, day: date) -> list[Posting]:
        """The postings (recognise or reverse, then settle) that reach the document's target."""
        state = self._documents.get(rules.key, _DocumentState(False, ZERO))
        postings: list[Posting] = []
        outstanding = state.outstanding
        if rules.target.recognised != state.recognised:
            if rules.target.recognised:
                postings.append(rules.recognise)
                outstanding += rules.exposure
            else:
                postings.append(rules.reverse(self.numbers.next(rules.reversal_series), day))
                outstanding -= rules.exposure
        settled = outstanding - rules.target.outstanding
        if settled:
            postings.append(rules.settle(settled, self.numbers.next("PAY" if settled > 0 else "REF"), day))
        self._documents[rules.key] = _DocumentState(rules.target.recognised, rules.target.outstanding)
        return postings

    def stage(self, rules: Rules, target: Target, day: date) -> list[Posting]:
        """Reconcile towards an intermediate target (history: post first, settle later)."""
        return self.reconcile(replace(rules, target=target), day)


class Ledger:
    """A company's posted G/L entries in entry-number order and its accounts' balances."""

    def __init__(
        self, company_id: UUID, accounts: Sequence[Account], entries: Iterable[GeneralLedgerEntry]
    ) -> None:
        self.company_id = company_id
        self._entry_id = id_series(company_id, "G/L Entry")
        self._accounts = {account.number: account for account in accounts}
        self.entries: list[GeneralLedgerEntry] = []
        self._balances: dict[str, Decimal] = dict.fromkeys(self._accounts, ZERO)
        for entry in entries:
            self._record(entry)

    def post(self, posting: Posting, stamp: datetime) -> list[GeneralLedgerEntry]:
        """Append the posting's lines as entries with the next entry numbers."""
        first = self.entries[-1].entry_number + 1 if self.entries else 1
        created = [
            GeneralLedgerEntry(
                id=self._entry_id(first + offset),
                entry_number=first + offset,
                posting_date=posting.posting_date,
                document_number=posting.document_number,
                document_type=posting.document_type,
                account_id=self._accounts[line.account].id,
                account_number=line.account,
                description=posting.description,
                debit_amount=line.debit,
                credit_amount=line.credit,
                last_modified_date_time=stamp,
            )
            for offset, line in enumerate(posting.lines)
        ]
        for entry in created:
            self._record(entry)
        return created

    def balance(self, account_number: str) -> Decimal:
        """Sum of debits minus credits on the account (0 for accounts without entries)."""
        return self._balances.get(account_number, ZERO)

    def accounts(self) -> list[Account]:
        """The chart with each account's netChange as of now."""
        return [
            account.model_copy(update={"net_change": self._net_change(account.number)})
            for account in self._accounts.values()
        ]

    def _net_change(self, number: str) -> Decimal:
        line = next(line for line in CHART if line.number == number)
        span = totalled(line)
        if line.account_type == "Posting":
            return self.balance(number)
        if span is None:
            return ZERO
        return sum((b for n, b in self._balances.items() if span[0] <= n <= span[1]), ZERO)

    def _record(self, entry: GeneralLedgerEntry) -> None:
        if self.entries and entry.entry_number <= self.entries[-1].entry_number:
            raise ValueError("G/L entry numbers must increase")
        self.entries.append(entry)
        number = entry.account_number
        self._balances[number] = self._balances.get(number, ZERO) + entry.debit_amount - entry.credit_amount
