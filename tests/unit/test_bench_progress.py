"""A long benchmark step says where it is: redrawn in place on a terminal, a line every few seconds
in a log file, and always its last line."""

from __future__ import annotations

import io

from bench.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_in_a_log_file_a_line_is_written_at_most_every_few_seconds_and_the_last_one_always() -> None:
    log, clock = io.StringIO(), Clock()
    progress = Progress("changes noticed", total=1100, stream=log, every_seconds=15, clock=clock)

    for second, done in ((0, 0), (5, 40), (16, 90), (20, 110), (31, 170)):
        clock.now = 100.0 + second
        progress.update(done, "shown in the API")
    clock.now = 100.0 + 220
    progress.finish(1100)

    assert log.getvalue().splitlines() == [
        "changes noticed [------------------------] 0/1,100 (0%) 0 s, shown in the API",
        "changes noticed [##----------------------] 90/1,100 (8%) 16 s, shown in the API",
        "changes noticed [####--------------------] 170/1,100 (15%) 31 s, shown in the API",
        "changes noticed [########################] 1,100/1,100 (100%) 220 s",
    ]


def test_on_a_terminal_the_line_is_redrawn_in_place_and_ended_when_finished() -> None:
    screen, clock = Terminal(), Clock()
    progress = Progress("refresh-all", total=4, stream=screen, clock=clock)

    progress.update(1)
    clock.now += 1
    progress.update(2)
    progress.finish(4, "0 failed")

    drawn = screen.getvalue()
    assert drawn.count("\r") == 3, "every update redraws the same line"
    assert drawn.endswith("refresh-all [########################] 4/4 (100%) 1 s, 0 failed\x1b[K\n")
    assert "\n" not in drawn[:-1], "nothing scrolls until the step is done"


def test_a_count_without_a_total_says_how_many_and_for_how_long() -> None:
    log, clock = io.StringIO(), Clock()
    progress = Progress("aggregator catching up: events not yet applied", stream=log, clock=clock)
    clock.now += 42
    progress.finish(0)

    assert log.getvalue() == "aggregator catching up: events not yet applied: 0 after 42 s\n"
