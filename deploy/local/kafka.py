"""Apache Kafka 4.4 in KRaft mode on loopback, from Maven Central jars: no Docker, no ZooKeeper."""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from deploy.local.processes import (
    ManagedProcess,
    free_port,
    running_recorded_pid,
    stop_recorded,
    wait_until,
)
from shared.topics import TopicSpec, project_topics

KAFKA_JAR = "kafka_2.13-4.4.0.jar"
POM = Path(__file__).resolve().parent / "kafka" / "pom.xml"
STAMP = ".pom-sha256"
TOPIC_ALREADY_EXISTS = 36

SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{cport}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={log_dirs}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
auto.create.topics.enable=false
"""

LOG4J2_PROPERTIES = """\
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
"""


def cache_root() -> Path:
    """Where downloaded tools are cached: `$HUB_CACHE_DIR`, else ~/.cache/accountant-hub."""
    env = os.environ.get("HUB_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "accountant-hub"


def ensure_kafka_jars(cache_dir: Path | None = None) -> Path:
    """The directory of Kafka's runtime jars, resolved with Maven on first use."""
    target = cache_dir if cache_dir is not None else cache_root() / "kafka-libs"
    pom_hash = hashlib.sha256(POM.read_bytes()).hexdigest()
    stamp = target / STAMP
    if (target / KAFKA_JAR).exists():
        if not stamp.exists():  # a cache made before stamps: adopt it for the current pom
            stamp.write_text(pom_hash)
        if stamp.read_text().strip() == pom_hash:
            return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (`mvn`) is not on PATH: install it (apt-get install maven).")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp-", dir=target.parent))
    try:
        done = subprocess.run(
            [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
             "-DincludeScope=runtime", f"-DoutputDirectory={tmp}"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not (tmp / KAFKA_JAR).exists():
            raise RuntimeError(
                f"Resolving Kafka's jars with Maven failed (exit {done.returncode}); check "
                f"that Maven Central is reachable, then retry:\n{done.stdout}{done.stderr}"
            )
        (tmp / STAMP).write_text(pom_hash)
        if target.exists():
            stale = Path(tempfile.mkdtemp(prefix=f"{target.name}.old-", dir=target.parent))
            target.rename(stale / target.name)
            shutil.rmtree(stale, ignore_errors=True)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _cluster_id() -> str:
    """A Kafka cluster id: a random UUID in URL-safe base64 without padding, as Kafka makes."""
    while True:  # like Kafka's Uuid.randomUuid: never a leading "-", which reads as an option
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


async def _ensure_topics(bootstrap: str, topics: Sequence[TopicSpec]) -> bool:
    """Create the missing topics; True once the broker answers and every topic has leaders."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import KafkaError

    logging.getLogger("aiokafka").addHandler(logging.NullHandler())
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        if missing:
            new = [NewTopic(t.name, t.partitions, 1) for t in missing]
            response = await admin.create_topics(new)
            for _, code, *_ in response.topic_errors:
                if code not in (0, TOPIC_ALREADY_EXISTS):
                    return False
        if not topics:
            return True
        described = await admin.describe_topics([t.name for t in topics])
        return all(
            d["error_code"] == 0 and d["partitions"] and all(p["leader"] >= 0 for p in d["partitions"])
            for d in described
        )
    except (TimeoutError, KafkaError, OSError):
        return False
    finally:
        await admin.close()


def _ensure_topics_blocking(bootstrap: str, topics: Sequence[TopicSpec]) -> bool:
    # A worker thread: this works from sync code and from inside a running event loop alike.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(_ensure_topics(bootstrap, topics))).result()


@dataclass
class KafkaServer:
    """One combined broker+controller node, its data and logs under `data_dir`."""

    data_dir: Path
    port: int
    controller_port: int
    jars_dir: Path
    topics: list[TopicSpec]
    heap: str = "512m"
    process: ManagedProcess = field(init=False)

    @property
    def bootstrap_servers(self) -> str:
        """The bootstrap address clients use: 127.0.0.1:PORT."""
        return f"127.0.0.1:{self.port}"

    def _launch(self, timeout: float) -> None:
        log_dirs, props = self.data_dir / "kraft-logs", self.data_dir / "server.properties"
        log_config = self.data_dir / "log4j2.properties"
        props.write_text(
            SERVER_PROPERTIES.format(port=self.port, cport=self.controller_port, log_dirs=log_dirs)
        )
        log_config.write_text(LOG4J2_PROPERTIES.format(log_file=self.data_dir / "server.log"))
        java_home = os.environ.get("JAVA_HOME")
        java_bin = str(Path(java_home) / "bin" / "java") if java_home else "java"
        java = [java_bin, f"-Dlog4j2.configurationFile={log_config}", "-cp", f"{self.jars_dir}/*"]
        if not (log_dirs / "meta.properties").exists():  # else formatted already: keep data
            fmt = [*java, "kafka.tools.StorageTool", "format", f"--cluster-id={_cluster_id()}"]
            fmt += ["--config", str(props)]
            done = subprocess.run(fmt, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"Formatting {log_dirs} failed:\n{done.stdout}{done.stderr}")
        args = [*java[:1], f"-Xmx{self.heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                *java[1:], "kafka.Kafka", str(props)]  # fmt: skip
        self.process = ManagedProcess.start(args, self.data_dir / "kafka.out")
        try:
            wait_until(
                lambda: _ensure_topics_blocking(self.bootstrap_servers, self.topics),
                timeout,
                f"Kafka on {self.bootstrap_servers} (server log {self.data_dir / 'server.log'})",
                process=self.process,
                interval=0.2,
            )
        except BaseException:
            self.process.kill()
            raise

    def stop(self, timeout: float = 10) -> None:
        """Stop the broker cleanly (SIGTERM, then SIGKILL after `timeout`)."""
        self.process.stop(timeout)

    def kill(self) -> None:
        """Crash the broker with SIGKILL."""
        self.process.kill()

    def restart(self, timeout: float = 60) -> None:
        """Start again on the same ports and data dir (stopping it first if still running)."""
        self.process.stop()
        self._launch(timeout)


def start_kafka(
    data_dir: Path,
    topics: Sequence[TopicSpec],
    port: int | None = None,
    controller_port: int | None = None,
    heap: str = "512m",
    timeout: float = 60,
) -> KafkaServer:
    """Start a single-node Kafka on loopback, wait until it answers, create missing topics."""
    jars = ensure_kafka_jars()
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port if port is not None else free_port()
    while controller_port is None or controller_port == port:
        controller_port = free_port()
    server = KafkaServer(data_dir, port, controller_port, jars, list(topics), heap)
    server._launch(timeout)
    return server


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: `start` a detached broker with the project topics, `stop` it by PID, or `jars`."""
    parser = argparse.ArgumentParser(prog="python -m deploy.local.kafka", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start a broker in the background")
    start.add_argument("--port", type=int)
    start.add_argument("--controller-port", type=int)
    start.add_argument("--partitions", type=int, default=6)
    start.add_argument("--heap", default="512m")
    stop = sub.add_parser("stop", help="stop the broker started with this data dir")
    for command in (start, stop):
        command.add_argument("--data-dir", type=Path, required=True)
    sub.add_parser("jars", help="download Kafka's jars into the cache")
    args = parser.parse_args(argv)
    try:
        if args.command == "jars":
            print(ensure_kafka_jars())
            return 0
        data_dir: Path = args.data_dir.resolve()
        pid_file = data_dir / "kafka.pid"
        if args.command == "stop":
            print(stop_recorded(pid_file, expect_in_cmdline=str(data_dir / "server.properties")))
            return 0
        if (pid := running_recorded_pid(pid_file)) is not None:
            raise RuntimeError(f"Kafka already runs on {data_dir} (pid {pid}): stop it first.")
        topics = project_topics(args.partitions)
        server = start_kafka(data_dir, topics, args.port, args.controller_port, args.heap)
        pid_file.write_text(f"{server.process.pid}\n")
        print(f"bootstrap={server.bootstrap_servers} pid={server.process.pid}")
    except (RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
