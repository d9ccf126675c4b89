"""Which companies Business Central tells us about: every entity set sync reads has a live webhook
subscription, so a change there arrives as a notification (after BC's delay, about 30 s).

With SYNC_TRUST_WEBHOOKS, the poll of such a company asks only what no notification covers (its
user tasks): one request instead of one per feed. Everything is still read by the company's first
pull, by every periodic full pass (SYNC_FULL_PASS_INTERVAL_SECONDS, which therefore bounds how long a
change whose notification never came can go unseen), by the first poll after sync starts
(notifications that arrived while it was down were not answered), by the first poll after one of its
subscriptions had to be created anew (changes made while it was missing were never notified) and by
the first poll after any of its passes failed (a notified change that pass did not publish is not
notified again).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.sync.task_feed import USER_TASKS_FEED

POLL_OF_A_COVERED_COMPANY = frozenset({USER_TASKS_FEED})


@dataclass
class WebhookCoverage:
    """Per client connection, the companies whose subscriptions the keeper's last pass found live, and
    those owed one full poll because a subscription of theirs had to be created."""

    _covered: dict[str, frozenset[str]] = field(default_factory=dict)
    _owed: set[str] = field(default_factory=set)

    def kept(self, client_id: str, covered: Iterable[str], created: Iterable[str]) -> None:
        """What one keeper pass over the connection found (it replaces the last pass's)."""
        self._covered[client_id] = frozenset(covered)
        self._owed.update(created)

    def owe(self, company_id: str) -> None:
        """A pass of the company failed: its next poll reads everything."""
        self._owed.add(company_id)

    def lost(self, client_id: str) -> None:
        """The keeper could not tell (listing the subscriptions failed): poll everything."""
        self._covered.pop(client_id, None)

    def poll_only(self, client_id: str, company_id: str) -> frozenset[str] | None:
        """What this poll of the company needs to ask (None: everything); takes a full poll owed."""
        if company_id in self._owed:
            self._owed.discard(company_id)
            return None
        return POLL_OF_A_COVERED_COMPANY if company_id in self._covered.get(client_id, ()) else None
