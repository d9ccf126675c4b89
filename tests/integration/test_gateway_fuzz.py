"""Schemathesis against the gateway's own OpenAPI: thousands of generated requests, signed in, over a
real MongoDB server and a real Kafka broker. Zero 5xx, and every response matches the document."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from pymongo import MongoClient

from deploy.local.kafka import KafkaServer
from deploy.local.mongo import MongoServer
from deploy.local.processes import free_port
from shared.credentials import new_key
from shared.mongo import Document
from tests.gateway_support import dashboard_row, gateway_settings, in_process_gateway

pytestmark = pytest.mark.integration
ME, PASSWORD = "fuzzer@firm.example", "correct-horse-battery"
EXAMPLES_PER_OPERATION = 60
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "unsupported_method",
        "ignored_auth",
        "use_after_free",
    ]
)


@dataclass(frozen=True)
class LiveGateway:
    """The gateway on a real port, and a bearer token for an accountant with a few rows."""

    url: str
    token: str


@pytest.fixture(scope="module")
def live_gateway(kafka_server: KafkaServer, mongo_server: MongoServer) -> Iterator[LiveGateway]:
    database = f"fuzz_{uuid.uuid4().hex[:8]}"
    client: MongoClient[Document] = MongoClient(mongo_server.url)
    with client:
        client[database]["dashboard_rows"].insert_many([dashboard_row(ME, n) for n in range(5)])
    settings = gateway_settings(
        mongo_server.url,
        database,
        {ME: PASSWORD},
        kafka_bootstrap_servers=kafka_server.bootstrap_servers,
        credentials_key=new_key(),
        progress_group_id=f"progress-{database}",
        refresh_jobs_per_minute=1000,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(in_process_gateway(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.1)
    token = httpx.post(f"{url}/api/v1/session", json={"email": ME, "password": PASSWORD}).json()["token"]
    try:
        yield LiveGateway(url, token)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.mark.timeout(900)
def test_generated_requests_never_get_a_5xx_and_every_response_matches_the_schema(
    live_gateway: LiveGateway, tmp_path: Path
) -> None:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{live_gateway.url}/openapi.json",
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Bearer {live_gateway.token}",
        # An event stream never ends; it is exercised by the end-to-end tests instead.
        "--exclude-path",
        "/api/v1/stream",
        # Signing out would end the fuzzer's own session halfway through the run.
        "--exclude-operation-id",
        "sign_out_api_v1_session_delete",
        # Task commands are forwarded to the tasks service, which is not running here.
        "--exclude-path-regex",
        r"^/api/v1/(tasks/.*|companies/\{company_id\}/tasks)$",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        "20261125",
        "--generation-database",
        "none",
        "--workers",
        "2",
        "--request-timeout",
        "10",
        "--no-color",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=850, check=False, cwd=tmp_path)  # noqa: S603
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]
    assert "Authentication failed" not in run.stdout, run.stdout[-3000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert generated is not None, run.stdout[-3000:]
    assert int(generated[1]) >= 1500, f"only {generated[1]} cases were generated"
    assert generated[1] == generated[2]
    print(f"schemathesis: {generated[0]}")  # the case count, for whoever runs with -s
