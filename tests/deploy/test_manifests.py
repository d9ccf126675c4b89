"""The Kubernetes deploy, rendered and validated offline, and what the platform team relies on in it.

deploy/k8s/validate.sh renders each overlay with kustomize, lints the Dockerfile with hadolint
and validates every object strictly with kubeconform against the Kubernetes and CRD schemas
(Strimzi, KEDA, MongoDB operator). The checks below read the rendered objects and hold them to
the code: every topic the code uses exists, every service can be probed, limited, drained and
runs locked down, and no consumer group is scaled beyond its partitions.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest

from services.aggregator.subscribers import CONSUMED as AGGREGATOR_TOPICS
from services.sync.webhooks import PATH as WEBHOOK_PATH
from shared.topics import CLIENT_CONNECTIONS, COMPANY_SYNC_STATUS, SYNC_COMMANDS, project_topics

ROOT = Path(__file__).resolve().parents[2]
VALIDATE = ROOT / "deploy" / "k8s" / "validate.sh"
OVERLAYS = ("dev", "production")
SERVICES = ("gateway", "sync", "aggregator", "tasks")
KUBERNETES_VERSIONS = 2  # validate.sh checks against the oldest and the newest supported minor

# The first run builds kubeconform and kustomize and fetches the schemas: about 3 minutes cold.
pytestmark = pytest.mark.timeout(900)

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Rendering:
    """What validate.sh said, and the objects of each overlay."""

    returncode: int
    output: str
    overlays: dict[str, list[Manifest]]


@pytest.fixture(scope="session")
def rendering(tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    """Run deploy/k8s/validate.sh once for the session (its tools are cached outside the repo)."""
    if shutil.which("go") is None:
        pytest.skip("Go is not installed: kubeconform and kustomize are built from the Go module proxy")
    bash = shutil.which("bash")
    assert bash is not None
    out = tmp_path_factory.mktemp("rendered")
    result = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [bash, str(VALIDATE), "--out", str(out)], capture_output=True, text=True, check=False
    )
    output = f"{result.stdout}\n{result.stderr}"
    overlays = {
        name: json.loads((out / f"{name}.json").read_text())
        for name in OVERLAYS
        if (out / f"{name}.json").exists()
    }
    assert overlays.keys() == set(OVERLAYS), f"validate.sh rendered no overlay:\n{output}"
    return Rendering(result.returncode, output, overlays)


def of_kind(objects: list[Manifest], kind: str) -> list[Manifest]:
    """Every object of one kind."""
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[Manifest], kind: str, name: str) -> Manifest:
    """The one object of that kind and name."""
    found = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def container(deployment: Manifest) -> Manifest:
    """The service's container (each pod runs exactly one)."""
    containers: list[Manifest] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def environment(objects: list[Manifest], deployment: Manifest) -> dict[str, str]:
    """The variables a Deployment's pods get from its ConfigMaps."""
    env: dict[str, str] = {}
    for source in container(deployment).get("envFrom", []):
        env |= named(objects, "ConfigMap", source["configMapRef"]["name"])["data"]
    return env


def topic_partitions(objects: list[Manifest]) -> dict[str, int]:
    """Partitions of every KafkaTopic, by topic name."""
    return {t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind(objects, "KafkaTopic")}


def test_every_overlay_passes_strict_schema_validation_and_the_dockerfile_lint(rendering: Rendering) -> None:
    assert rendering.returncode == 0, rendering.output
    summaries = re.findall(r"Summary: (\d+) resources .* Invalid: 0, Errors: 0, Skipped: 0", rendering.output)
    total = sum(len(objects) for objects in rendering.overlays.values())
    assert summaries == [str(total)] * KUBERNETES_VERSIONS, rendering.output


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_topic_the_code_uses_has_a_kafka_topic_and_nothing_else_does(
    rendering: Rendering, overlay: str
) -> None:
    objects = rendering.overlays[overlay]
    partitions = int(environment(objects, named(objects, "Deployment", "aggregator"))["HUB_KAFKA_PARTITIONS"])
    expected = {spec.name: spec.partitions for spec in project_topics(partitions)}
    assert topic_partitions(objects) == expected


def test_production_topics_survive_the_loss_of_a_broker(rendering: Rendering) -> None:
    objects = rendering.overlays["production"]
    kafka = named(objects, "Kafka", "hub-kafka")
    brokers = sum(
        p["spec"]["replicas"] for p in of_kind(objects, "KafkaNodePool") if "broker" in p["spec"]["roles"]
    )
    assert brokers == 3
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
    for topic in of_kind(objects, "KafkaTopic"):
        assert topic["spec"]["replicas"] == 3, topic["metadata"]["name"]
        assert topic["spec"]["config"]["min.insync.replicas"] == 2, topic["metadata"]["name"]
    assert named(objects, "MongoDBCommunity", "hub-mongodb")["spec"]["members"] == 3


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_probes_limits_and_a_disruption_budget(
    rendering: Rendering, overlay: str, service: str
) -> None:
    objects = rendering.overlays[overlay]
    deployment = named(objects, "Deployment", service)
    main = container(deployment)
    port = int(environment(objects, deployment)[f"{service.upper()}_PORT"])
    assert main["ports"] == [{"name": "http", "containerPort": port}]
    assert main["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert {"cpu", "memory"} <= main["resources"]["limits"].keys()
    assert {"cpu", "memory"} <= main["resources"]["requests"].keys()
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 30
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    budgets = [
        b
        for b in of_kind(objects, "PodDisruptionBudget")
        if b["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    ]
    assert len(budgets) == 1, f"{service} needs exactly one PodDisruptionBudget"


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_every_service_runs_non_root_on_a_read_only_root_filesystem(
    rendering: Rendering, overlay: str, service: str
) -> None:
    deployment = named(rendering.overlays[overlay], "Deployment", service)
    pod = deployment["spec"]["template"]["spec"]
    main = container(deployment)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert main["securityContext"]["allowPrivilegeEscalation"] is False
    assert main["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert pod["serviceAccountName"] == service
    assert named(rendering.overlays[overlay], "ServiceAccount", service)
    tmp = {"name": "tmp", "mountPath": "/tmp"}  # noqa: S108 - the emptyDir that stands in for /tmp
    assert tmp in main["volumeMounts"]
    assert "emptyDir" in next(v for v in pod["volumes"] if v["name"] == "tmp")


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_every_service_starts_its_own_module_listening_beyond_localhost(
    rendering: Rendering, overlay: str, service: str
) -> None:
    objects = rendering.overlays[overlay]
    deployment = named(objects, "Deployment", service)
    module = f"services.{service}.main"
    assert container(deployment)["command"] == ["python", "-m", module]
    assert find_spec(module) is not None
    env = environment(objects, deployment)
    assert env["HUB_HTTP_HOST"] == "0.0.0.0"  # noqa: S104 - inside the pod, behind NetworkPolicies
    assert env["HUB_LOG_JSON"] == "true"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_is_committed_and_credentials_come_from_secret_references(
    rendering: Rendering, overlay: str
) -> None:
    objects = rendering.overlays[overlay]
    assert of_kind(objects, "Secret") == []
    for service in SERVICES:
        deployment = named(objects, "Deployment", service)
        assert "HUB_MONGO_URL" not in environment(objects, deployment)
        mongo_url = next(e for e in container(deployment)["env"] if e["name"] == "HUB_MONGO_URL")
        assert mongo_url["valueFrom"]["secretKeyRef"]["name"] == "hub-mongodb-connection"
    users = named(objects, "MongoDBCommunity", "hub-mongodb")["spec"]["users"]
    assert [u["connectionStringSecretName"] for u in users] == ["hub-mongodb-connection"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_sync_reads_its_connections_from_the_mounted_secret_file_not_a_variable(
    rendering: Rendering, overlay: str
) -> None:
    objects = rendering.overlays[overlay]
    deployment = named(objects, "Deployment", "sync")
    variables = {e["name"]: e for e in container(deployment)["env"]} | environment(objects, deployment)
    assert "SYNC_CONNECTIONS" not in variables, "a variable holds at most 128 KiB: about 100 connections"
    path = PurePosixPath(variables["SYNC_CONNECTIONS_FILE"]["value"])
    mount = next(m for m in container(deployment)["volumeMounts"] if m["mountPath"] == str(path.parent))
    assert mount["readOnly"] is True
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"])
    assert volume["secret"]["secretName"] == "hub-sync-connections"
    assert {"key": "connections.json", "path": path.name} in volume["secret"]["items"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_consumers_are_scaled_on_lag_never_beyond_their_partitions(
    rendering: Rendering, overlay: str
) -> None:
    objects = rendering.overlays[overlay]
    partitions = topic_partitions(objects)
    kafka_namespace = named(objects, "Kafka", "hub-kafka")["metadata"]["namespace"]
    port = common_settings(objects)["HUB_KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1]
    groups = {
        "aggregator": environment(objects, named(objects, "Deployment", "aggregator"))["AGGREGATOR_GROUP_ID"],
        "sync": "sync",
    }
    expected_topics = {"aggregator": set(AGGREGATOR_TOPICS), "sync": {SYNC_COMMANDS}}
    scaled = {s["metadata"]["name"]: s for s in of_kind(objects, "ScaledObject")}
    assert scaled.keys() == groups.keys()
    for name, scaled_object in scaled.items():
        spec = scaled_object["spec"]
        assert spec["scaleTargetRef"]["name"] == name
        assert spec["minReplicaCount"] >= 1
        triggers = [t["metadata"] for t in spec["triggers"] if t["type"] == "kafka"]
        assert {t["topic"] for t in triggers} == expected_topics[name]
        for trigger in triggers:
            assert trigger["consumerGroup"] == groups[name]
            assert spec["maxReplicaCount"] <= partitions[trigger["topic"]], trigger["topic"]
            # KEDA's operator resolves names from its own namespace; it uses the services' listener.
            assert trigger["bootstrapServers"] == f"hub-kafka-kafka-bootstrap.{kafka_namespace}.svc:{port}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_scales_on_cpu_behind_the_ingress(rendering: Rendering, overlay: str) -> None:
    objects = rendering.overlays[overlay]
    hpa = named(objects, "HorizontalPodAutoscaler", "gateway")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert "replicas" not in named(objects, "Deployment", "gateway")["spec"]
    backend = named(objects, "Ingress", "gateway")["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend["service"]["name"] == "gateway"
    assert backend["service"]["port"]["name"] in {
        p["name"] for p in named(objects, "Service", "gateway")["spec"]["ports"]
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_syncs_webhook_endpoint_is_exposed_and_its_client_state_comes_from_a_secret(
    rendering: Rendering, overlay: str
) -> None:
    objects = rendering.overlays[overlay]
    ingress = named(objects, "Ingress", "sync-webhooks")["spec"]
    (rule,) = ingress["rules"]
    routes = [(p["path"], p["pathType"], p["backend"]["service"]["name"]) for p in rule["http"]["paths"]]
    assert routes == [(WEBHOOK_PATH, "Exact", "sync")], "the notification endpoint, nothing else of sync"
    elsewhere = [
        path["backend"]["service"]["name"]
        for other in of_kind(objects, "Ingress")
        if other["metadata"]["name"] != "sync-webhooks"
        for other_rule in other["spec"]["rules"]
        for path in other_rule["http"]["paths"]
    ]
    assert "sync" not in elsewhere
    deployment = named(objects, "Deployment", "sync")
    env = environment(objects, deployment)
    base_url = urlsplit(env["SYNC_WEBHOOK_BASE_URL"])
    assert (
        base_url.hostname == rule["host"] == named(objects, "Ingress", "gateway")["spec"]["rules"][0]["host"]
    )
    assert "SYNC_WEBHOOK_CLIENT_STATE" not in env
    client_state = next(e for e in container(deployment)["env"] if e["name"] == "SYNC_WEBHOOK_CLIENT_STATE")
    assert client_state["valueFrom"]["secretKeyRef"] == {"name": "hub-sync-webhook", "key": "client-state"}
    policy = named(objects, "NetworkPolicy", "sync-from-ingress-controller")["spec"]
    from_controller = named(objects, "NetworkPolicy", "gateway-from-ingress-controller")["spec"]["ingress"][0]
    assert policy["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "sync"}}
    assert policy["ingress"][0]["from"] == from_controller["from"]
    assert [p["port"] for p in policy["ingress"][0]["ports"]] == [int(env["SYNC_PORT"])]
    if overlay == "production":
        assert base_url.scheme == "https"
        assert ingress["tls"] == [{"hosts": [rule["host"]], "secretName": "gateway-tls"}]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_traffic_is_denied_unless_a_policy_allows_it(rendering: Rendering, overlay: str) -> None:
    objects = rendering.overlays[overlay]
    deny = named(objects, "NetworkPolicy", "default-deny-all")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    data_ports = {
        port["port"]
        for rule in named(objects, "NetworkPolicy", "services-to-kafka-and-mongodb")["spec"]["egress"]
        for port in rule["ports"]
    }
    kafka_port = int(common_settings(objects)["HUB_KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1])
    assert data_ports == {kafka_port, 27017}
    https = named(objects, "NetworkPolicy", "sync-to-client-systems")["spec"]
    assert https["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "sync"}}
    assert [p["port"] for p in https["egress"][0]["ports"]] == [443]


def test_production_kafka_is_tls_with_a_scram_user_per_service_allowed_only_its_topics(
    rendering: Rendering,
) -> None:
    objects = rendering.overlays["production"]
    listeners = named(objects, "Kafka", "hub-kafka")["spec"]["kafka"]["listeners"]
    assert [(lst["port"], lst["tls"], lst["authentication"]["type"]) for lst in listeners] == [
        (9093, True, "scram-sha-512")
    ]
    settings = common_settings(objects)
    assert settings["HUB_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert settings["HUB_KAFKA_BOOTSTRAP_SERVERS"].endswith(":9093")
    users = {u["metadata"]["name"]: u for u in of_kind(objects, "KafkaUser")}
    assert set(SERVICES) <= users.keys()
    for service in SERVICES:
        env = {
            e["name"]: e
            for e in named(objects, "Deployment", service)["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        assert env["HUB_KAFKA_SASL_USERNAME"]["value"] == service
        assert env["HUB_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == service
    reads = {
        name: {
            acl["resource"]["name"]
            for acl in user["spec"]["authorization"]["acls"]
            if acl["resource"]["type"] == "topic" and "Read" in acl["operations"]
        }
        for name, user in users.items()
    }
    assert reads["aggregator"] == set(AGGREGATOR_TOPICS)
    assert reads["sync"] == {SYNC_COMMANDS}
    assert reads["gateway"] == {COMPANY_SYNC_STATUS, CLIENT_CONNECTIONS}


def test_dev_kafka_stays_plain_inside_the_cluster(rendering: Rendering) -> None:
    objects = rendering.overlays["dev"]
    assert not of_kind(objects, "KafkaUser")
    assert common_settings(objects).get("HUB_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT") == "PLAINTEXT"


def common_settings(objects: list[Manifest]) -> dict[str, str]:
    """The hub-common ConfigMap's data (its generated name carries a hash)."""
    maps = [o for o in of_kind(objects, "ConfigMap") if o["metadata"]["name"].startswith("hub-common")]
    assert len(maps) == 1
    data: dict[str, str] = maps[0]["data"]
    return data


def test_the_image_installs_exactly_the_runtime_pins_of_requirements_lock() -> None:
    dev = _pins(ROOT / "requirements.lock")
    runtime = _pins(ROOT / "requirements-runtime.lock")
    assert runtime.items() <= dev.items(), "regenerate requirements-runtime.lock (see deploy/README.md)"
    assert not runtime.keys() & {"pytest", "ruff", "mypy", "playwright", "secantusdb"}
    assert "--require-hashes" in (ROOT / "Dockerfile").read_text()


def _pins(lock: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", lock.read_text(), flags=re.MULTILINE)
    return {name.lower(): version for name, version in pins}
