"""Pictures of recorded results, for people who would rather look than read: where a change's time
goes on its way to the API (a freshness result's stage breakdown), as an SVG beside the README.

Plain SVG text, no plotting library: the picture is regenerated with bench/RESULTS.md from the
result's JSON, so it cannot drift from the recorded figures (tests/unit/test_bench_pictures.py).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

if TYPE_CHECKING:  # bench.results draws these pictures when it writes RESULTS.md
    from bench.results import BenchResult

PICTURES_DIR = Path(__file__).parent.parent / "docs" / "bench"
# The stages of bench/freshness_stages.py, in the order a change passes them.
STAGE_LABELS = {
    "notice": "client system notices it (webhook)",
    "sync_pulled": "sync pulls the change",
    "in_kafka": "sync publishes it to Kafka",
    "aggregator_to_api": "aggregator applies it, API shows it",
}
END_TO_END = "end to end, as observed"
WIDTH, LABEL_WIDTH, CHART_WIDTH = 820, 270, 470
ROW_HEIGHT, BAR_HEIGHT, TOP = 40, 13, 78
P50_COLOUR, P99_COLOUR, TARGET_COLOUR = "#1f5f99", "#9cc3e6", "#b03a2e"


def freshness_picture_name(result: BenchResult) -> str:
    """The file a freshness result's picture is written to (one per p99 result and its p50 twin)."""
    return f"{result.name.removesuffix('-p99')}-stages.svg"


def has_stages(result: BenchResult) -> bool:
    """Whether the result carries a stage breakdown to draw (the freshness-at-scale results do)."""
    breakdown = result.details.get("stage_breakdown")
    return isinstance(breakdown, dict) and bool(breakdown.get("stages")) and "p99_ms" in result.details


def freshness_stages_svg(result: BenchResult, p50_twin: BenchResult | None = None) -> str:
    """Each stage's p50 and p99 as two bars on one time axis, then the end-to-end figures with the
    targets (the p99 result's, and its p50 twin's) as dashed lines. Stages' p99s do not add up: each
    is the slowest 1% of that stage alone."""
    stages: dict[str, dict[str, float]] = result.details["stage_breakdown"]["stages"]
    rows: list[tuple[str, float, float]] = [
        (STAGE_LABELS.get(stage, stage), spread["p50_ms"], spread["p99_ms"])
        for stage, spread in stages.items()
    ]
    rows.append((END_TO_END, float(result.details["p50_ms"]), float(result.details["p99_ms"])))
    targets = _targets_ms(result, p50_twin)
    longest = max([p99 for _, _, p99 in rows] + list(targets.values()))
    step = _tick_step(longest)
    axis_end = math.ceil(longest / step) * step
    height = TOP + ROW_HEIGHT * len(rows) + 86

    def x(ms: float) -> float:
        return round(LABEL_WIDTH + CHART_WIDTH * ms / axis_end, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13" role="img">',
        f"<title>{escape(_title(result))}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="16" y="26" font-size="16" font-weight="bold">{escape(_title(result))}</text>',
        f'<text x="16" y="46" fill="#444">{escape(_subtitle(result))}</text>',
        _legend(),
    ]
    axis_y = TOP + ROW_HEIGHT * len(rows)
    tick = 0.0
    while tick <= axis_end + 1e-9:
        parts.append(f'<line x1="{x(tick)}" y1="{TOP - 6}" x2="{x(tick)}" y2="{axis_y}" stroke="#e3e3e3"/>')
        parts.append(
            f'<text x="{x(tick)}" y="{axis_y + 16}" text-anchor="middle" fill="#444">{tick / 1000:g} s</text>'
        )
        tick += step
    for index, (label, p50, p99) in enumerate(rows):
        top = TOP + ROW_HEIGHT * index
        weight = ' font-weight="bold"' if label == END_TO_END else ""
        parts.append(
            f'<text x="{LABEL_WIDTH - 10}" y="{top + 18}" text-anchor="end"{weight}>{escape(label)}</text>'
        )
        for offset, name, value, colour in ((2, "p50", p50, P50_COLOUR), (17, "p99", p99, P99_COLOUR)):
            width = round(x(value) - LABEL_WIDTH, 1)
            parts.append(
                f'<rect data-row="{escape(label)}" data-spread="{name}" data-ms="{value}" x="{LABEL_WIDTH}" '
                f'y="{top + offset}" width="{width}" height="{BAR_HEIGHT}" fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{x(value) + 5}" y="{top + offset + 11}" font-size="11" fill="#222">'
                f"{name} {value / 1000:.2f} s</text>"
            )
    for name, ms in targets.items():
        parts.append(
            f'<line data-target="{name}" x1="{x(ms)}" y1="{axis_y - ROW_HEIGHT}" x2="{x(ms)}" y2="{axis_y}" '
            f'stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="5,3"/>'
        )
        parts.append(
            f'<text x="{x(ms)}" y="{axis_y + 32}" text-anchor="middle" font-size="11" '
            f'fill="{TARGET_COLOUR}">{name} target {ms / 1000:g} s</text>'
        )
    for line, text in enumerate(_footer(result)):
        parts.append(
            f'<text x="16" y="{height - 26 + 15 * line}" font-size="11" fill="#444">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _targets_ms(p99: BenchResult, p50: BenchResult | None) -> dict[str, float]:
    """The end-to-end bounds: the p99 result's own, and its p50 twin's when it was recorded."""
    found: dict[str, float] = {}
    for name, result in (("p50", p50), ("p99", p99)):
        if result is not None and result.target.value_at_most is not None:
            found[name] = result.target.value_at_most
    return found


def _tick_step(longest_ms: float) -> float:
    for step in (250.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0):
        if longest_ms / step <= 8:
            return step
    return 30_000.0


def _title(result: BenchResult) -> str:
    companies = result.details.get("companies", "?")
    return (
        f"Where a change's time goes: {companies:,} companies" if isinstance(companies, int) else result.name
    )


def _subtitle(result: BenchResult) -> str:
    changes: Any = result.details.get("changes_measured", "?")
    counted = f"{changes:,}" if isinstance(changes, int) else str(changes)
    return (
        f"{counted} changes, from the change in the client's books to the moved figure in the gateway API; "
        "each stage's p50 and p99"
    )


def _footer(result: BenchResult) -> tuple[str, str]:
    """When, what and where it was measured, then the command that measures it again."""
    measured = ", ".join(part for part in (result.date, result.code or "", result.machine) if part)
    return measured, f"command: {result.command}"


def _legend() -> str:
    y = 58
    return (
        f'<rect x="{LABEL_WIDTH}" y="{y}" width="12" height="10" fill="{P50_COLOUR}"/>'
        f'<text x="{LABEL_WIDTH + 16}" y="{y + 9}" font-size="11">p50</text>'
        f'<rect x="{LABEL_WIDTH + 56}" y="{y}" width="12" height="10" fill="{P99_COLOUR}"/>'
        f'<text x="{LABEL_WIDTH + 72}" y="{y + 9}" font-size="11">p99 (stages\' p99s do not add up)</text>'
    )


def write_pictures(results: list[BenchResult], directory: Path = PICTURES_DIR) -> list[Path]:
    """Draw every result that has a picture; returns the files written."""
    by_name = {result.name: result for result in results}
    written: list[Path] = []
    for result in results:
        if has_stages(result) and result.name.endswith("-p99"):
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / freshness_picture_name(result)
            path.write_text(freshness_stages_svg(result, by_name.get(result.name.removesuffix("-p99"))))
            written.append(path)
    return written
