"""A MongoDB-wire server on loopback for local runs and tests: SecantusDB (`secantusd-py`).

Development and tests only: it runs as a separate process and is never imported by the services.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from deploy.local.processes import (
    ManagedProcess,
    free_port,
    running_recorded_pid,
    stop_recorded,
    wait_until,
)

MEMORY = ":memory:"


def secantusd_executable() -> str:
    """The `secantusd-py` launcher: next to this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "secantusd-py"
    if beside.exists():
        return str(beside)
    found = shutil.which("secantusd-py")
    if found is None:
        raise RuntimeError(
            "secantusd-py not found: install the dev extras (pip install -e '.[dev]'), which pin SecantusDB."
        )
    return found


def _answers_ping(port: int) -> bool:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    try:  # a refused connection answers at once; server selection would wait its whole timeout
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    client: MongoClient[dict[str, object]] = MongoClient(
        url, serverSelectionTimeoutMS=500, connectTimeoutMS=500
    )
    try:
        client.admin.command("ping")
    except PyMongoError:
        return False
    finally:
        client.close()
    return True


@dataclass
class MongoServer:
    """One SecantusDB server; `storage` None means in memory (data gone when it stops)."""

    port: int
    storage: Path | None
    log_path: Path
    process: ManagedProcess = field(init=False)

    @property
    def url(self) -> str:
        """The connection string: mongodb://127.0.0.1:PORT/?directConnection=true&retryWrites=false.

        Without retryable writes: SecantusDB scans (and past 10,000, sorts) every retryable write it
        remembers on each new one, which took a quarter of its time under load. On loopback the network
        errors they cover do not happen, and every consumer's write is idempotent and redone by its
        batch anyway. Production MongoDB keeps the driver's default (on), which costs it nothing."""
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true&retryWrites=false"

    def _launch(self, timeout: float) -> None:
        storage = MEMORY if self.storage is None else str(self.storage)
        args = [secantusd_executable(), "--host", "127.0.0.1", "--port", str(self.port),
                "--storage-path", storage]  # fmt: skip
        # cwd: a directory of ours, so no stray ./secantusd.toml is picked up.
        self.process = ManagedProcess.start(args, self.log_path, cwd=self.log_path.parent)
        try:
            wait_until(
                lambda: _answers_ping(self.port),
                timeout,
                f"SecantusDB on 127.0.0.1:{self.port}",
                process=self.process,
                interval=0.1,
            )
        except BaseException:
            self.process.kill()
            raise

    def stop(self, timeout: float = 10) -> None:
        """Stop the server cleanly (SIGTERM, then SIGKILL after `timeout`)."""
        self.process.stop(timeout)

    def kill(self) -> None:
        """Crash the server with SIGKILL."""
        self.process.kill()

    def restart(self, timeout: float = 30) -> None:
        """Start again on the same port and storage (stopping it first if still running)."""
        self.process.stop()
        self._launch(timeout)


def start_mongo(
    storage: Path | None = None,
    port: int | None = None,
    log_path: Path | None = None,
    timeout: float = 30,
) -> MongoServer:
    """Start SecantusDB on loopback and wait until it answers `ping`."""
    if storage is not None:
        storage = storage.resolve()
        storage.parent.mkdir(parents=True, exist_ok=True)
    if log_path is None:
        if storage is not None:
            log_path = storage.parent / f"{storage.name}.log"
        else:
            log_path = Path(tempfile.mkdtemp(prefix="secantusd-")) / "secantusd.log"
    server = MongoServer(port if port is not None else free_port(), storage, log_path.resolve())
    server._launch(timeout)
    return server


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: `start` a detached SecantusDB keeping data in DATA_DIR/db, or `stop` it by PID."""
    parser = argparse.ArgumentParser(prog="python -m deploy.local.mongo", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start a server in the background")
    start.add_argument("--port", type=int)
    stop = sub.add_parser("stop", help="stop the server started with this data dir")
    for command in (start, stop):
        command.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir.resolve()
    pid_file = data_dir / "mongo.pid"
    try:
        if args.command == "stop":
            print(stop_recorded(pid_file, expect_in_cmdline=str(data_dir / "db")))
            return 0
        if (pid := running_recorded_pid(pid_file)) is not None:
            raise RuntimeError(f"SecantusDB already runs on {data_dir} (pid {pid}): stop it first.")
        server = start_mongo(data_dir / "db", args.port, data_dir / "mongo.log")
        pid_file.write_text(f"{server.process.pid}\n")
        print(f"url={server.url} pid={server.process.pid}")
    except (RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
