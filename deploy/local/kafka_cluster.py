"""A Kafka cluster of N combined broker+controller nodes on loopback (KRaft), for failover tests.

Topics are replicated to every node with `min.insync.replicas` = N - 1, so with `acks=all` one node
may die without losing an acknowledged message or stopping producers and consumers.
Development and tests only, like `deploy/local/kafka.py` (whose jars and helpers it reuses).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from deploy.local.kafka import LOG4J2_PROPERTIES, TOPIC_ALREADY_EXISTS, _cluster_id, ensure_kafka_jars
from deploy.local.processes import ManagedProcess, free_port, wait_until
from shared.topics import TopicSpec

NODE_PROPERTIES = """\
process.roles=broker,controller
node.id={node_id}
controller.quorum.voters={voters}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={log_dirs}
num.partitions=1
default.replication.factor={replicas}
min.insync.replicas={min_isr}
offsets.topic.replication.factor={replicas}
offsets.topic.num.partitions=10
transaction.state.log.replication.factor={replicas}
transaction.state.log.min.isr={min_isr}
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor={replicas}
share.coordinator.state.topic.min.isr={min_isr}
group.initial.rebalance.delay.ms=0
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
replica.lag.time.max.ms=5000
unclean.leader.election.enable=false
auto.create.topics.enable=false
"""


@dataclass
class KafkaNode:
    """One node of the cluster, its data and logs under `data_dir`."""

    node_id: int
    data_dir: Path
    port: int
    controller_port: int
    process: ManagedProcess | None = None

    @property
    def alive(self) -> bool:
        """Whether its process runs."""
        return self.process is not None and self.process.alive

    def kill(self) -> None:
        """Crash the node with SIGKILL."""
        if self.process is not None:
            self.process.kill()

    def stop(self, timeout: float = 10) -> None:
        """Stop the node cleanly (SIGTERM, then SIGKILL after `timeout`)."""
        if self.process is not None:
            self.process.stop(timeout)


@dataclass
class KafkaCluster:
    """N nodes with every topic replicated to all of them."""

    nodes: list[KafkaNode]
    jars_dir: Path
    topics: list[TopicSpec]
    cluster_id: str
    heap: str = "384m"
    min_insync: int = field(init=False)

    def __post_init__(self) -> None:
        self.min_insync = max(len(self.nodes) - 1, 1)

    @property
    def bootstrap_servers(self) -> str:
        """Every node's address, comma separated: clients find the live ones."""
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def _properties(self, node: KafkaNode) -> Path:
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        props = node.data_dir / "server.properties"
        props.write_text(
            NODE_PROPERTIES.format(
                node_id=node.node_id, voters=voters, port=node.port, cport=node.controller_port,
                log_dirs=node.data_dir / "kraft-logs", replicas=len(self.nodes), min_isr=self.min_insync,
            )
        )  # fmt: skip
        (node.data_dir / "log4j2.properties").write_text(
            LOG4J2_PROPERTIES.format(log_file=node.data_dir / "server.log")
        )
        return props

    def _java(self, node: KafkaNode) -> list[str]:
        java_home = os.environ.get("JAVA_HOME")
        java_bin = str(Path(java_home) / "bin" / "java") if java_home else "java"
        log_config = node.data_dir / "log4j2.properties"
        return [java_bin, f"-Dlog4j2.configurationFile={log_config}", "-cp", f"{self.jars_dir}/*"]

    def launch(self, node: KafkaNode) -> None:
        """Start one node (formatting its storage the first time); does not wait."""
        node.data_dir.mkdir(parents=True, exist_ok=True)
        props = self._properties(node)
        java = self._java(node)
        if not (node.data_dir / "kraft-logs" / "meta.properties").exists():
            fmt = [*java, "kafka.tools.StorageTool", "format", f"--cluster-id={self.cluster_id}"]
            done = subprocess.run([*fmt, "--config", str(props)], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"Formatting node {node.node_id} failed:\n{done.stdout}{done.stderr}")
        args = [java[0], f"-Xmx{self.heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                *java[1:], "kafka.Kafka", str(props)]  # fmt: skip
        node.process = ManagedProcess.start(args, node.data_dir / "kafka.out")

    def wait_ready(self, timeout: float) -> None:
        """Wait until every topic exists, replicated to every node, with a leader per partition."""
        wait_until(
            lambda: _blocking(
                _ensure_replicated_topics(self.bootstrap_servers, self.topics, len(self.nodes))
            ),
            timeout,
            f"Kafka cluster on {self.bootstrap_servers} (logs under {self.nodes[0].data_dir.parent})",
            interval=0.5,
        )

    def stop(self) -> None:
        """Stop every node by its PID."""
        for node in self.nodes:
            node.stop()


def start_kafka_cluster(
    data_dir: Path, topics: Sequence[TopicSpec], nodes: int = 3, timeout: float = 180
) -> KafkaCluster:
    """Start `nodes` nodes on loopback, wait until the topics are replicated to all of them."""
    data_dir = data_dir.resolve()
    members = [KafkaNode(i + 1, data_dir / f"node-{i + 1}", free_port(), free_port()) for i in range(nodes)]
    cluster = KafkaCluster(members, ensure_kafka_jars(), list(topics), _cluster_id())
    try:
        for node in members:
            cluster.launch(node)
        cluster.wait_ready(timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _blocking(coroutine: object) -> bool:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return bool(pool.submit(asyncio.run, coroutine).result())  # type: ignore[arg-type]


async def _ensure_replicated_topics(bootstrap: str, topics: Sequence[TopicSpec], replicas: int) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import KafkaError

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        missing = [NewTopic(t.name, t.partitions, replicas) for t in topics if t.name not in existing]
        if missing:
            response = await admin.create_topics(missing)
            if any(code not in (0, TOPIC_ALREADY_EXISTS) for _, code, *_ in response.topic_errors):
                return False
        described = await admin.describe_topics([t.name for t in topics])
        return all(
            d["error_code"] == 0
            and d["partitions"]
            and all(p["leader"] >= 0 and len(p["isr"]) == replicas for p in d["partitions"])
            for d in described
        )
    except (TimeoutError, KafkaError, OSError):
        return False
    finally:
        await admin.close()
