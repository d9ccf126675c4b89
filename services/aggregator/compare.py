"""Compare two sets of projections (say, live and a clean replay): which company and figure differ.

Read models are compared document by document and field by field (nested fields by their dotted
path), so a difference names the collection, the company, the row (accountant x company, task...)
and the figure, with both values.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.aggregator.ledger import MongoLedgerStore
from services.aggregator.repository import MongoProjectionStore
from shared.mongo import Document

# What the gateway reads, checked first so a failure names a figure before the state behind it.
READ_MODELS = ("company_figures", "dashboard_rows", "company_details", "my_tasks")
# Wall-clock stamps that legitimately differ between two runs over the same events.
IGNORED = frozenset({"updated_at", "derived_at", "applied_at"})


@dataclass(frozen=True)
class Difference:
    """One figure that differs between two projections of the same events."""

    collection: str
    company_id: str
    document: str
    figure: str
    left: Any
    right: Any

    def __str__(self) -> str:
        return (
            f"{self.collection}: company {self.company_id}, {self.document}: "
            f"{self.figure} is {self.left!r} on the left but {self.right!r} on the right"
        )


async def compare_projections(
    left: AsyncDatabase[Document],
    right: AsyncDatabase[Document],
    companies: Collection[str] | None = None,
    collections: Iterable[str] | None = None,
    ignore: frozenset[str] = IGNORED,
) -> list[Difference]:
    """Every figure that differs between `left` and `right` (of `companies`, or all); by default
    in every collection the aggregator writes, read models first."""
    query: Document = {} if companies is None else {"company_id": {"$in": sorted(companies)}}
    differences: list[Difference] = []
    for name in collections or compared_collections(left):
        ours = {d["_id"]: d async for d in left[name].find(query)}
        theirs = {d["_id"]: d async for d in right[name].find(query)}
        for key in sorted(ours.keys() | theirs.keys(), key=str):
            a, b = ours.get(key), theirs.get(key)
            company = str((a or b or {}).get("company_id", key))
            if a is None or b is None:
                differences.append(Difference(name, company, str(key), "(whole document)", a, b))
                continue
            differences += [
                Difference(name, company, str(key), path, x, y)
                for path, x, y in field_differences(a, b, ignore)
            ]
    return differences


def owned_collections(db: AsyncDatabase[Document]) -> set[str]:
    """The collections the aggregator's stores write (read off the stores, so new ones are included)."""
    stores: tuple[object, ...] = (MongoProjectionStore(db), MongoLedgerStore(db))
    return {v.name for store in stores for v in vars(store).values() if isinstance(v, AsyncCollection)}


def compared_collections(db: AsyncDatabase[Document]) -> list[str]:
    """Every collection the aggregator writes: the read models first, then the state behind them."""
    owned = owned_collections(db)
    return [n for n in READ_MODELS if n in owned] + sorted(owned - set(READ_MODELS))


def field_differences(
    a: Document, b: Document, ignore: frozenset[str], prefix: str = ""
) -> list[tuple[str, Any, Any]]:
    """The dotted paths where two documents differ, with both values (missing is None)."""
    found: list[tuple[str, Any, Any]] = []
    for field in sorted(a.keys() | b.keys()):
        if field in ignore:
            continue
        x, y = a.get(field), b.get(field)
        if isinstance(x, dict) and isinstance(y, dict):
            found += field_differences(x, y, ignore, f"{prefix}{field}.")
        elif x != y:
            found.append((f"{prefix}{field}", x, y))
    return found


def describe(differences: list[Difference], most: int = 10) -> str:
    """A readable summary for a failing assertion: the first differences and how many in all."""
    if not differences:
        return "projections are equal"
    lines = [str(d) for d in differences[:most]]
    more = f"\n... and {len(differences) - most} more" if len(differences) > most else ""
    return f"{len(differences)} difference(s):\n" + "\n".join(lines) + more
