"""The whole system on one machine: Kafka, MongoDB, the Business Central stand-in, four services.

Used by `make run`, the end-to-end tests and the benchmarks. Every process is started here,
recorded by PID and stopped by PID.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.local.kafka import KafkaServer, start_kafka
from deploy.local.mongo import MongoServer, start_mongo
from deploy.local.processes import ManagedProcess, free_port, wait_until
from shared.credentials import new_key
from shared.topics import project_topics

SERVICES = ("aggregator", "tasks", "sync", "gateway")
SAMPLE_ACCOUNTANT = "demo@accountant.example"
SAMPLE_PASSWORD = "demo-password"  # noqa: S105 - the local sample account, printed by `make run`


@dataclass(frozen=True)
class StackOptions:
    """What to start: sample size, partitions, how fast sync polls."""

    tenants: int = 3
    companies_per_tenant: int = 2
    seed: int = 42
    partitions: int = 6
    poll_interval_seconds: float = 0.5
    extra_accounts: tuple[tuple[str, str], ...] = ()
    simulator_env: Mapping[str, str] = field(default_factory=dict)
    service_env: Mapping[str, str] = field(default_factory=dict)
    services: tuple[str, ...] = SERVICES  # a benchmark of one service starts only that one


@dataclass
class Stack:
    """Running processes of the system and where to reach them."""

    work_dir: Path
    kafka: KafkaServer
    mongo: MongoServer
    simulator: ManagedProcess
    simulator_url: str
    ports: dict[str, int]
    env: dict[str, str]
    services: dict[str, ManagedProcess] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        """Where the web page and the public API are."""
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def start_service(self, name: str, timeout: float = 60) -> None:
        """Start (or restart) one service and wait until it is ready."""
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        log = self.work_dir / "logs" / f"{name}.log"
        process = ManagedProcess.start([sys.executable, "-m", f"services.{name}.main"], log, env=env)
        self.services[name] = process
        url = f"http://127.0.0.1:{self.ports[name]}/health/ready"
        wait_until(lambda: _answers(url), timeout, f"{name} ready at {url}", process=process)

    def stop(self) -> None:
        """Stop every process this stack started, services first, each by its PID."""
        for name in reversed(list(self.services)):
            self.services[name].stop()
        self.simulator.stop()
        self.kafka.stop()
        self.mongo.stop()


def start_stack(work_dir: Path, options: StackOptions | None = None) -> Stack:
    """Start everything and return once every service answers ready; stops what started on failure."""
    options = options or StackOptions()
    work_dir.mkdir(parents=True, exist_ok=True)
    mongo = start_mongo(work_dir / "mongo", log_path=work_dir / "logs" / "mongo.log")
    started: list[Any] = [mongo]
    try:
        kafka = start_kafka(work_dir / "kafka", project_topics(options.partitions))
        started.append(kafka)
        simulator, simulator_url = _start_simulator(work_dir, options)
        started.append(simulator)
        ports = {name: free_port() for name in SERVICES}
        connections = _write_connections(work_dir / "sync-connections.json", simulator_url)
        env = _service_env(kafka, mongo, ports, options, simulator_url, connections)
        stack = Stack(work_dir, kafka, mongo, simulator, simulator_url, ports, env)
        for name in options.services:
            stack.start_service(name)
            started.append(stack.services[name])
    except BaseException:
        for thing in reversed(started):
            thing.stop()
        raise
    return stack


def _start_simulator(work_dir: Path, options: StackOptions) -> tuple[ManagedProcess, str]:
    port = free_port()
    env = {
        **os.environ,
        "BC_SIM_PORT": str(port),
        "BC_SIM_SEED": str(options.seed),
        "BC_SIM_TENANTS": str(options.tenants),
        "BC_SIM_COMPANIES_PER_TENANT": str(options.companies_per_tenant),
        **options.simulator_env,
    }
    log = work_dir / "logs" / "bc-simulator.log"
    process = ManagedProcess.start([sys.executable, "-m", "deploy.local.bc_simulator"], log, env=env)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(f"{url}/_simulator/companies"), 30, "the BC simulator", process=process)
    return process, url


def sample_connections(simulator_url: str) -> list[dict[str, Any]]:
    """One client connection per simulated tenant, all granted to the sample accountant."""
    with urllib.request.urlopen(f"{simulator_url}/_simulator/companies", timeout=10) as response:  # noqa: S310
        companies = json.load(response)
    connections: dict[str, dict[str, Any]] = {}
    for company in companies:
        tenant = company["tenantId"]
        connection = connections.setdefault(
            tenant,
            {
                "client_id": f"{tenant}/{company['environment']}",
                "client_name": company["tenantName"],
                "tenant": tenant,
                "environment": company["environment"],
                "api_base_url": simulator_url,
                "login_base_url": simulator_url,
                "web_client_url": f"{simulator_url}/_simulator/web",
                "oauth_client_id": "accountant-hub",
                "oauth_client_secret": "local-secret",
                "local_currency": company["currencyCode"],
                "company_time_zones": {},
                "company_currencies": {},
                "granted_to": [SAMPLE_ACCOUNTANT],
            },
        )
        if "task_user_emails" not in connection:  # users are the tenant's: one company's list will do
            connection["task_user_emails"] = _task_user_emails(simulator_url, company["companyId"])
        connection["company_time_zones"][company["companyId"]] = company["timeZone"]
        connection["company_currencies"][company["companyId"]] = company["currencyCode"]
    return list(connections.values())


def _write_connections(path: Path, simulator_url: str) -> Path:
    """The sample connections as a file for sync (SYNC_CONNECTIONS_FILE): at ~100 tenants their JSON
    is over Linux's 128 KiB limit for one environment variable."""
    path.touch(mode=0o600)
    path.write_text(json.dumps(sample_connections(simulator_url)), encoding="utf-8")
    return path


def _task_user_emails(simulator_url: str, company_id: str) -> dict[str, str]:
    """BC user security id -> work email, so tasks assigned to the demo accountant reach their list."""
    url = f"{simulator_url}/_simulator/companies/{company_id}/users"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return {user["securityId"]: user["email"] for user in json.load(response)}


def _service_env(
    kafka: KafkaServer,
    mongo: MongoServer,
    ports: dict[str, int],
    options: StackOptions,
    simulator_url: str,
    connections_file: Path,
) -> dict[str, str]:
    return {
        "HUB_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "HUB_MONGO_URL": mongo.url,
        "HUB_MONGO_DATABASE": "accountant_hub",
        "HUB_KAFKA_PARTITIONS": str(options.partitions),
        "HUB_LOG_JSON": "true",
        "AGGREGATOR_PORT": str(ports["aggregator"]),
        "TASKS_PORT": str(ports["tasks"]),
        "SYNC_PORT": str(ports["sync"]),
        "GATEWAY_PORT": str(ports["gateway"]),
        "SYNC_CONNECTIONS_FILE": str(connections_file),
        "SYNC_POLL_INTERVAL_SECONDS": str(options.poll_interval_seconds),
        # The simulator notifies sync of changes (webhooks); polling stays the fallback.
        "SYNC_WEBHOOK_BASE_URL": f"http://127.0.0.1:{ports['sync']}",
        "SYNC_WEBHOOK_CLIENT_STATE": secrets.token_urlsafe(32),
        # Clients registered through the API live in the stand-in too; their secrets are encrypted
        # with a key made for this run (production reads it from a Secret).
        "SYNC_REGISTRATION_API_BASE_URL": simulator_url,
        "SYNC_REGISTRATION_LOGIN_BASE_URL": simulator_url,
        "SYNC_REGISTRATION_WEB_CLIENT_URL": f"{simulator_url}/_simulator/web",
        "HUB_CREDENTIALS_KEY": new_key(),
        "GATEWAY_SEED_ACCOUNTS": json.dumps(
            [{"email": email, "password": password} for email, password in _accounts(options)]
        ),
        "GATEWAY_SECURE_COOKIES": "false",
        "GATEWAY_TASKS_URL": f"http://127.0.0.1:{ports['tasks']}",
        **options.service_env,
    }


def _accounts(options: StackOptions) -> list[tuple[str, str]]:
    return [(SAMPLE_ACCOUNTANT, SAMPLE_PASSWORD), *options.extra_accounts]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except OSError:
        return False
