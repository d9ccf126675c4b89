"""A refresh over many client systems is sent round-robin across them, in order within each."""

from __future__ import annotations

from shared.commands import interleaved


def test_every_systems_first_company_comes_before_any_systems_second() -> None:
    companies = [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("c", 1), ("c", 2)]

    ordered = interleaved(companies, lambda c: c[0])

    assert ordered == [("a", 1), ("b", 1), ("c", 1), ("a", 2), ("c", 2), ("a", 3)]


def test_nothing_is_lost_or_repeated() -> None:
    companies = [(f"system-{n % 7}", n) for n in range(100)]

    assert sorted(interleaved(companies, lambda c: c[0])) == sorted(companies)
    assert interleaved([], lambda c: str(c)) == []
