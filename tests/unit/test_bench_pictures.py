"""The freshness picture is drawn from a recorded result: each bar as long as its figure on one axis,
the targets where they are, and the committed pictures equal to what the recorded results draw."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from bench.pictures import (
    END_TO_END,
    PICTURES_DIR,
    STAGE_LABELS,
    freshness_stages_svg,
    write_pictures,
)
from bench.results import Baseline, BenchResult, Target, load_results

SVG = "{http://www.w3.org/2000/svg}"


def _freshness(name: str, value: float, bound: float) -> BenchResult:
    details: dict[str, Any] = {
        "companies": 1000,
        "changes_measured": 1100,
        "p50_ms": 400.0,
        "p99_ms": 2800.0,
        "stage_breakdown": {
            "stages": {
                "notice": {"p50_ms": 200.0, "p99_ms": 450.0, "mean_ms": 125.0},
                "sync_pulled": {"p50_ms": 80.0, "p99_ms": 1200.0, "mean_ms": 119.0},
                "in_kafka": {"p50_ms": 20.0, "p99_ms": 450.0, "mean_ms": 30.0},
                "aggregator_to_api": {"p50_ms": 220.0, "p99_ms": 1500.0, "mean_ms": 280.0},
            }
        },
    }
    return BenchResult(
        name=name,
        figure="ms from a change in the books to the API",
        value=value,
        unit="ms",
        baseline=Baseline(name="raw Kafka round trip", value=8.0),
        ratio=round(value / 8.0, 3),
        target=Target(value_at_most=bound),
        met=value <= bound,
        details=details,
        machine="2 cores",
        command="make bench NAME=at_scale",
        date="2026-11-26",
        code="commit abc1234",
    )


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - the SVG this test just drew, not outside input


def _bars(svg: str) -> dict[tuple[str, str], float]:
    root = _parse(svg)
    return {
        (rect.attrib["data-row"], rect.attrib["data-spread"]): float(rect.attrib["width"])
        for rect in root.iter(f"{SVG}rect")
        if "data-row" in rect.attrib
    }


def test_every_stage_and_the_end_to_end_figure_get_a_p50_and_a_p99_bar_as_long_as_their_value() -> None:
    p99 = _freshness("freshness-1000-companies-p99", 2800.0, 3000.0)

    bars = _bars(freshness_stages_svg(p99, _freshness("freshness-1000-companies", 400.0, 1000.0)))

    assert set(bars) == {
        (row, spread) for row in [*STAGE_LABELS.values(), END_TO_END] for spread in ("p50", "p99")
    }
    per_ms = bars[(END_TO_END, "p99")] / 2800.0
    assert abs(bars[(STAGE_LABELS["sync_pulled"], "p99")] - 1200.0 * per_ms) < 0.2
    assert abs(bars[(STAGE_LABELS["notice"], "p50")] - 200.0 * per_ms) < 0.2
    assert abs(bars[(END_TO_END, "p50")] - 400.0 * per_ms) < 0.2


def test_the_targets_are_drawn_at_their_bounds_on_the_same_axis() -> None:
    p99 = _freshness("freshness-1000-companies-p99", 2800.0, 3000.0)
    svg = freshness_stages_svg(p99, _freshness("freshness-1000-companies", 400.0, 1000.0))
    root = _parse(svg)
    start = min(float(rect.attrib["x"]) for rect in root.iter(f"{SVG}rect") if "data-row" in rect.attrib)
    per_ms = _bars(svg)[(END_TO_END, "p99")] / 2800.0

    lines = {
        line.attrib["data-target"]: float(line.attrib["x1"])
        for line in root.iter(f"{SVG}line")
        if "data-target" in line.attrib
    }

    assert set(lines) == {"p50", "p99"}
    assert abs(lines["p50"] - (start + 1000.0 * per_ms)) < 0.2
    assert abs(lines["p99"] - (start + 3000.0 * per_ms)) < 0.2


def test_only_freshness_results_with_stages_are_drawn_one_picture_per_p99_and_p50_pair(
    tmp_path: Path,
) -> None:
    results = [
        _freshness("freshness-1000-companies", 400.0, 1000.0),
        _freshness("freshness-1000-companies-p99", 2800.0, 3000.0),
    ]
    plain = results[0].model_copy(update={"name": "gateway-dashboard-reads", "details": {}})

    written = write_pictures([*results, plain], tmp_path)

    assert [path.name for path in written] == ["freshness-1000-companies-stages.svg"]
    assert "p50 target 1 s" in written[0].read_text()


def test_the_committed_pictures_are_what_the_recorded_results_draw(tmp_path: Path) -> None:
    results = load_results()

    written = write_pictures(results, tmp_path)

    assert written, "the recorded results have at least one freshness result with stages"
    for path in written:
        committed = PICTURES_DIR / path.name
        assert committed.exists(), f"{committed} is missing: run `python -m bench.results`"
        assert committed.read_text() == path.read_text(), (
            f"{committed} is stale: run `python -m bench.results`"
        )
    assert {p.name for p in PICTURES_DIR.glob("*.svg")} == {p.name for p in written}, "a picture of no result"
