"""`make run` (python -m deploy.local.run), as a person runs it: it prints where to look and how to
sign in, those work and show the sample books, and Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from deploy.local.processes import pid_is_alive
from tests.waiting import eventually

READY_LINE = "Press Ctrl-C to stop everything."
START_SECONDS = 240.0
STOP_SECONDS = 60.0
# deploy/local/run.py's defaults: 3 sample clients x 2 companies, all granted to the sample accountant.
SAMPLE_COMPANIES = 6


def children_of(pid: int) -> set[int]:
    """The processes whose parent is `pid`, read from /proc."""
    found: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


class Output:
    """What the process printed so far, read by a thread so a silent process cannot block the test."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._reader.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, process: subprocess.Popen[str], within: float) -> str:
        """All output once a line holds `text`; fails with the output when the process ends first."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return "\n".join(self.lines)
            if process.poll() is not None:
                self._reader.join(timeout=5)
                break
            time.sleep(0.2)
        printed = "\n".join(self.lines[-40:])
        raise AssertionError(f"no {text!r} within {within} s (exit {process.poll()}); it printed:\n{printed}")


@dataclass
class MakeRun:
    """The running command, and every process it was seen to start (so teardown can stop them by
    PID even after the command itself ended: its children then belong to init)."""

    process: subprocess.Popen[str]
    started: set[int] = field(default_factory=set)

    def children(self) -> set[int]:
        """The processes it started, as of now; remembered for teardown."""
        found = children_of(self.process.pid)
        self.started |= found
        return found


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[MakeRun]:
    """`make run`'s command with a work directory of the test's; whatever it leaves is stopped by PID."""
    process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "deploy.local.run", "--work-dir", str(tmp_path / "run")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    run = MakeRun(process)
    try:
        yield run
    finally:
        if process.poll() is None:
            run.children()
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for pid in run.started:  # left running only when the test failed
            if pid_is_alive(pid):
                os.kill(pid, signal.SIGKILL)


async def test_make_run_prints_a_working_sign_in_shows_the_sample_books_and_ctrl_c_stops_everything(
    make_run: MakeRun,
) -> None:
    printed = Output(make_run.process).wait_for(READY_LINE, make_run.process, START_SECONDS)
    web_page = re.search(r"Web page:\s+(\S+)/\n", printed)
    sign_in = re.search(r"Sign in as:\s+(\S+) / (\S+)\n", printed)
    stand_in = re.search(r"BC stand-in:\s+(\S+)/_simulator/companies", printed)
    assert web_page, f"the banner names the web page:\n{printed}"
    assert sign_in, f"the banner names the sign-in:\n{printed}"
    assert stand_in, f"the banner names the BC stand-in:\n{printed}"
    base_url = web_page.group(1)

    async with httpx.AsyncClient(base_url=base_url, timeout=10) as api:
        page = await api.get("/")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        session = await api.post(
            "/api/v1/session", json={"email": sign_in.group(1), "password": sign_in.group(2)}
        )
        assert session.status_code == 200, session.text
        api.headers["Authorization"] = f"Bearer {session.json()['token']}"

        async def rows() -> list[dict[str, object]]:
            answer = await api.get("/api/v1/dashboard", params={"limit": 100})
            answer.raise_for_status()
            found: list[dict[str, object]] = answer.json()["rows"]
            return found

        synced = await eventually(
            rows,
            lambda found: len(found) == SAMPLE_COMPANIES and all(row["last_synced_at"] for row in found),
            within=120,
        )
    assert all(row["client_name"] and row["web_url"] for row in synced), (
        "every row names its client and links to it"
    )
    async with httpx.AsyncClient(timeout=10) as plain:
        assert (await plain.get(f"{stand_in.group(1)}/_simulator/companies")).status_code == 200

    started = make_run.children()
    # Kafka, the MongoDB-wire server, the BC stand-in and the four services.
    assert len(started) == 7, f"expected 7 processes started by make run, found {sorted(started)}"

    make_run.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    assert make_run.process.wait(timeout=STOP_SECONDS) == 0
    left = {pid for pid in started if pid_is_alive(pid)}
    assert not left, f"make run left processes running after Ctrl-C: {sorted(left)}"
