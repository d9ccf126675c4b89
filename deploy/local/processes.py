"""Background server processes on loopback: start, wait until they answer, stop by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def log_tail(log_path: Path, lines: int = 15) -> str:
    """The last lines of a log file, or an empty string when it does not exist."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class ManagedProcess:
    """A server started in its own session, its output in a log file, stopped by its PID."""

    args: list[str]
    log_path: Path
    popen: subprocess.Popen[bytes]

    @classmethod
    def start(
        cls,
        args: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> ManagedProcess:
        """Start `args` detached from the terminal, appending stdout and stderr to `log_path`."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                list(args),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=None if env is None else dict(env),
                cwd=cwd,
            )
        return cls(list(args), log_path, popen)

    @property
    def pid(self) -> int:
        """The process id."""
        return self.popen.pid

    @property
    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended, else None."""
        return self.popen.poll()

    def stop(self, timeout: float = 10) -> None:
        """Send SIGTERM, wait up to `timeout` seconds, then SIGKILL."""
        if not self.alive:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """Send SIGKILL (a crash, for fault tests) and reap the process."""
        if not self.alive:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.popen.wait()


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    log_path: Path | None = None,
    *,
    process: ManagedProcess | None = None,
    interval: float = 0.1,
) -> None:
    """Poll `predicate` until true; raise TimeoutError naming `what` and the log to read.

    With `process`, fail at once (with the log's tail) if it exits; its log is the default.
    """
    if log_path is None and process is not None:
        log_path = process.log_path
    read = f" Read {log_path}." if log_path is not None else ""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if process is not None and not process.alive:
            tail = log_tail(log_path) if log_path is not None else ""
            raise TimeoutError(
                f"{what}: the process (pid {process.pid}) exited with status "
                f"{process.returncode} before it answered.{read}\n{tail}"
            )
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"{what}: no answer after {timeout:g}s.{read} Check that the port is free "
                "and the machine is not overloaded, then start it again."
            )
        time.sleep(interval)


def pid_is_alive(pid: int) -> bool:
    """Whether a process with this PID exists (and is not a zombie)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return status.rsplit(")", 1)[-1].split()[0] != "Z"


def stop_pid(pid: int, *, expect_in_cmdline: str | None = None, timeout: float = 10) -> bool:
    """Stop a process that is not our child by PID: SIGTERM, wait, then SIGKILL.

    With `expect_in_cmdline`, a PID whose command line lacks that text is left alone (the PID
    was reused by another program). Returns whether a process was signalled.
    """
    if not pid_is_alive(pid):
        return False
    if expect_in_cmdline is not None:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            cmdline = ""
        if expect_in_cmdline not in cmdline:
            return False
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not pid_is_alive(pid):
                return True
            time.sleep(0.1)
    return True


def running_recorded_pid(pid_file: Path) -> int | None:
    """The PID recorded in `pid_file` if that process is still running, else None."""
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return None
    return pid if pid_is_alive(pid) else None


def stop_recorded(pid_file: Path, expect_in_cmdline: str) -> str:
    """Stop the process whose PID `pid_file` records, remove the file, say what happened."""
    if not pid_file.exists():
        raise RuntimeError(f"No {pid_file}: nothing to stop (was it started with this --data-dir?)")
    pid = int(pid_file.read_text())
    stopped = stop_pid(pid, expect_in_cmdline=expect_in_cmdline)
    pid_file.unlink()
    return f"stopped pid={pid}" if stopped else f"pid {pid} was not running"
