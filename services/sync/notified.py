"""What Business Central's change notices said about one company, for the pass they trigger."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Notified:
    """The entity sets notices named as changed (None: a notice named none, so the pass pulls
    everything), and those a notice said a record was deleted from. A change feed never shows a
    deletion, so the pass lists those feeds' ids at once instead of waiting for the full pass."""

    entity_sets: frozenset[str] | None = frozenset()
    deleted_from: frozenset[str] = frozenset()

    def __or__(self, other: Notified) -> Notified:
        """Both notices' worth, where 'everything' absorbs any entity set."""
        if self.entity_sets is None or other.entity_sets is None:
            return Notified(None, self.deleted_from | other.deleted_from)
        return Notified(self.entity_sets | other.entity_sets, self.deleted_from | other.deleted_from)
