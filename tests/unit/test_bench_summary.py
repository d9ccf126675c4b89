"""The README's benchmark table is generated from bench/results/*.json, by the code that writes
bench/RESULTS.md, so it cannot drift from the recorded figures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench.results import (
    README,
    SUMMARY_END,
    SUMMARY_START,
    Baseline,
    BenchResult,
    Target,
    code_measured,
    load_results,
    summary_table,
    write_readme_summary,
)


def _result(name: str, value: float, baseline: float, target: Target) -> BenchResult:
    ratio = value / baseline
    return BenchResult(
        name=name,
        figure="a figure",
        value=value,
        unit="ms",
        baseline=Baseline(name="a baseline", value=baseline),
        ratio=round(ratio, 3),
        target=target,
        met=target.met(value, ratio),
        machine="2 cores",
        command="make bench NAME=x",
        date="2026-11-25",
    )


def test_the_summary_shows_value_baseline_ratio_target_and_a_miss_in_bold() -> None:
    rows = summary_table(
        [
            _result("fast", 385.874, 2.4453, Target(value_at_most=1000.0)),
            _result("slow", 4200.0, 2.5, Target(value_at_most=3000.0)),
        ]
    )

    assert rows[2] == "| fast | 386 ms | 2.45 ms | 158 | value at most 1,000 | yes |"
    assert rows[3] == "| slow | 4,200 ms | 2.5 ms | 1,680 | value at most 3,000 | **no** |"


def test_only_the_text_between_the_markers_is_replaced(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Hub\n\nbefore\n{SUMMARY_START}\nold table\n{SUMMARY_END}\nafter\n")

    assert write_readme_summary([_result("fast", 1.0, 2.0, Target(ratio_at_most=1.0))], readme)

    text = readme.read_text()
    assert text.startswith("# Hub\n\nbefore\n")
    assert text.endswith(f"{SUMMARY_END}\nafter\n")
    assert "old table" not in text
    assert "| fast | 1 ms | 2 ms | 0.5 | ratio at most 1 | yes |" in text


def test_a_readme_without_markers_is_left_alone(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Hub\n")

    assert not write_readme_summary([], readme)
    assert readme.read_text() == "# Hub\n"


def test_the_committed_readme_table_matches_the_recorded_results() -> None:
    text = README.read_text()
    table = text.split(SUMMARY_START, 1)[1].split(SUMMARY_END, 1)[0].strip()

    assert table == "\n".join(summary_table(load_results())), "run `python -m bench.results` to regenerate"


def test_a_result_names_the_commit_it_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_CODE", "commit abc1234")
    named = code_measured()
    monkeypatch.delenv("BENCH_CODE")
    checked_out = code_measured()

    assert named == "commit abc1234", "an export of a commit says which one it is"
    rev_parse = ["git", "rev-parse", "--short", "HEAD"]
    head = subprocess.run(rev_parse, capture_output=True, text=True, check=True)  # noqa: S603 - git, fixed arguments
    assert checked_out.startswith(f"commit {head.stdout.strip()}"), "a checkout names its own commit"
