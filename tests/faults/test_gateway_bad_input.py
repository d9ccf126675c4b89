"""Bad input at the gateway beyond the schema fuzzing (tests/integration/test_gateway_fuzz.py):
bodies far over the 64 KiB limit (declared, chunked with no Content-Length, or with a lying
Content-Length), a slowloris sending its headers a byte at a time, connections that open and
never send, bodies that trickle in. The gateway runs as its own uvicorn process, the way the
stack starts it; every bad request gets a 4xx (413, 408, 400) or is closed, never a 5xx, the
process stays up, and a signed-in accountant's dashboard reads succeed promptly throughout."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from pymongo import MongoClient

from deploy.local.mongo import MongoServer
from deploy.local.processes import ManagedProcess, free_port, wait_until
from shared.mongo import Document
from tests.faults.tally import FaultRow, record_row
from tests.gateway_support import dashboard_row

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
ME, PASSWORD = "attacked@firm.example", "correct-horse-battery"
HEAD_TIMEOUT, BODY_TIMEOUT = 3.0, 3.0  # seconds; 10 and 20 by default, shortened to keep the test quick
LIMIT = 64 * 1024
SLOW_READ = 2.0  # a dashboard read slower than this during the attack fails the test
IDLE_CONNECTIONS = 200


@dataclass(frozen=True)
class Gateway:
    process: ManagedProcess
    port: int
    token: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def gateway(mongo_server: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """`python -m services.gateway.main` over the real MongoDB server, one accountant with 5 rows."""
    db_name = f"attack_{uuid.uuid4().hex[:8]}"
    client: MongoClient[Document] = MongoClient(mongo_server.url)
    with client:
        client[db_name]["dashboard_rows"].insert_many([dashboard_row(ME, n) for n in range(5)])
    port = free_port()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "HUB_MONGO_URL": mongo_server.url,
        "HUB_MONGO_DATABASE": db_name,
        "GATEWAY_PORT": str(port),
        "GATEWAY_KAFKA_ENABLED": "false",
        "GATEWAY_SECURE_COOKIES": "false",
        "GATEWAY_SEED_ACCOUNTS": json.dumps([{"email": ME, "password": PASSWORD}]),
        "GATEWAY_HEADER_TIMEOUT_SECONDS": str(HEAD_TIMEOUT),
        "GATEWAY_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
    }
    log = tmp_path_factory.mktemp("gateway") / "gateway.log"
    process = ManagedProcess.start([sys.executable, "-m", "services.gateway.main"], log, env=env)
    try:
        wait_until(lambda: _ready(port), 60, "the gateway ready", process=process)
        session = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/session", json={"email": ME, "password": PASSWORD}, timeout=30
        )
        session.raise_for_status()
        yield Gateway(process, port, session.json()["token"])
    finally:
        process.stop()


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True)
class Outcome:
    """What the server did with one raw connection: the status of each response, and when it closed."""

    statuses: tuple[int, ...]
    closed_after: float


async def raw_exchange(port: int, parts: list[bytes], pause: float = 0.0, wait: float = 30.0) -> Outcome:
    """Send `parts` over one connection, `pause` seconds apart, stopping early if the server answers
    or closes; then read until the server closes the connection (or `wait` seconds pass)."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    received = b""
    try:
        for part in parts:
            if part:
                writer.write(part)
                await writer.drain()
            if pause:
                try:
                    chunk = await asyncio.wait_for(reader.read(65536), pause)
                except TimeoutError:
                    continue
                received += chunk
                if not chunk or b"\r\n\r\n" in received:
                    break  # answered (or closed) before the whole request was sent
        async with asyncio.timeout(wait):
            while chunk := await reader.read(65536):
                received += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass  # closed under our feet: what it answered before is in `received`
    finally:
        writer.close()
    statuses = tuple(
        int(line.split()[1]) for line in received.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")
    )
    return Outcome(statuses, time.monotonic() - started)


def head(method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: hub", *headers, "", ""]
    return "\r\n".join(lines).encode()


JSON = "Content-Type: application/json"


async def oversized_declared(port: int) -> Outcome:
    """Content-Length of 50 MB: refused on the headers alone, before any body is read."""
    return await raw_exchange(port, [head("POST", "/api/v1/session", JSON, "Content-Length: 50000000")])


async def oversized_chunked(port: int) -> Outcome:
    """A 1 MiB chunked body with no Content-Length: refused once 64 KiB have been read."""
    chunk = b"2000\r\n" + b"x" * 0x2000 + b"\r\n"
    parts = [
        head("POST", "/api/v1/session", JSON, "Transfer-Encoding: chunked"),
        *[chunk] * 128,
        b"0\r\n\r\n",
    ]
    return await raw_exchange(port, parts, pause=0.01)


async def lying_length_short(port: int) -> Outcome:
    """Declares 1,000 bytes, sends 10 and waits: the body deadline answers 408."""
    return await raw_exchange(
        port, [head("POST", "/api/v1/session", JSON, "Content-Length: 1000") + b'{"email":']
    )


async def lying_length_long(port: int) -> Outcome:
    """Declares 9 bytes, sends 200 KiB: the 9 are a bad body (4xx), the rest is not HTTP (400)."""
    lie = head("POST", "/api/v1/session", JSON, "Content-Length: 9") + b'{"email":' + b"z" * (200 * 1024)
    return await raw_exchange(port, [lie])


async def slowloris(port: int) -> Outcome:
    """Sends its request head one byte every 0.2 s, for ever: closed with 408 at the head deadline."""
    endless = head("GET", "/api/v1/dashboard", *[f"X-Padding-{n}: {'a' * 20}" for n in range(100)])
    return await raw_exchange(port, [bytes([b]) for b in endless], pause=0.2)


async def never_sends(port: int) -> Outcome:
    """Opens a connection and sends nothing."""
    return await raw_exchange(port, [])


async def slow_body(port: int) -> Outcome:
    """A declared 2,000-byte body sent one byte every 0.25 s: 408 at the body deadline."""
    body = b'{"email": "' + b"s" * 1980 + b'"}'
    parts = [head("POST", "/api/v1/session", JSON, f"Content-Length: {len(body)}")]
    return await raw_exchange(port, parts + [bytes([b]) for b in body], pause=0.25)


async def huge_headers(port: int) -> Outcome:
    """A 1 MiB header line: a request head still incomplete past h11's 16 KiB limit, 400."""
    return await raw_exchange(port, [head("GET", "/api/v1/dashboard", f"X-Huge: {'h' * 1024 * 1024}")])


async def test_bodies_over_the_limit_get_413_whether_declared_or_chunked(gateway: Gateway) -> None:
    assert (await oversized_declared(gateway.port)).statuses == (413,)
    assert (await oversized_chunked(gateway.port)).statuses == (413,)


async def test_a_lying_content_length_gets_4xx_never_5xx(gateway: Gateway) -> None:
    short = await lying_length_short(gateway.port)
    assert short.statuses == (408,)
    assert short.closed_after < BODY_TIMEOUT + 3
    long = await lying_length_long(gateway.port)
    assert long.statuses, "no answer at all"
    assert all(400 <= s < 500 for s in long.statuses), long.statuses


async def test_slow_clients_are_answered_408_and_closed_at_their_deadline(gateway: Gateway) -> None:
    loris, idle, body = await asyncio.gather(
        slowloris(gateway.port), never_sends(gateway.port), slow_body(gateway.port)
    )
    assert loris.statuses == (408,)
    assert loris.closed_after < HEAD_TIMEOUT + 3
    assert idle.statuses == (408,)
    assert HEAD_TIMEOUT - 0.5 < idle.closed_after < HEAD_TIMEOUT + 3
    assert body.statuses == (408,)
    assert body.closed_after < BODY_TIMEOUT + 3


async def test_a_1_mib_request_head_gets_400(gateway: Gateway) -> None:
    assert (await huge_headers(gateway.port)).statuses == (400,)


async def test_under_every_attack_at_once_the_dashboard_stays_prompt_and_nothing_gets_a_5xx(
    gateway: Gateway,
) -> None:
    started = time.monotonic()
    port = gateway.port
    attackers = [never_sends(port) for _ in range(IDLE_CONNECTIONS)]
    for _ in range(5):
        attackers += [slowloris(port), slow_body(port), lying_length_short(port), lying_length_long(port)]
        attackers += [oversized_declared(port), oversized_chunked(port), huge_headers(port)]
    attack = asyncio.gather(*attackers)
    reads: list[float] = []
    api = httpx.AsyncClient(
        base_url=gateway.url, headers={"Authorization": f"Bearer {gateway.token}"}, timeout=SLOW_READ * 5
    )
    try:
        await asyncio.sleep(0.5)  # the attack's connections are open
        while not attack.done():
            before = time.monotonic()
            response = await api.get("/api/v1/dashboard")
            reads.append(time.monotonic() - before)
            assert response.status_code == 200, response.text
            assert len(response.json()["rows"]) == 5
            await asyncio.sleep(0.1)
        outcomes: list[Outcome] = await attack
    finally:
        await api.aclose()

    statuses = Counter(s for o in outcomes for s in o.statuses)
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    unanswered = sum(1 for o in outcomes if not o.statuses)
    assert server_errors == 0, f"5xx answers: {statuses}"
    assert unanswered == 0, f"{unanswered} bad connections were closed without an answer"
    assert reads, "no dashboard read happened during the attack"
    assert max(reads) < SLOW_READ, f"the slowest dashboard read took {max(reads):.2f} s during the attack"
    assert gateway.process.alive, f"the gateway died; see {gateway.process.log_path}"
    assert _ready(port), "the gateway is up but not ready after the attack"

    reads.sort()
    record_row(
        "gateway_bad_input",
        FaultRow(
            fault="bad input at the gateway: bodies over 64 KiB (declared, chunked, lying Content-Length), "
            f"slowloris, {IDLE_CONNECTIONS} connections that never send, trickled bodies, a 1 MiB header",
            times=f"{len(outcomes)} bad connections at once",
            events_in=None,
            events_applied=None,
            lost=None,
            duplicated=None,
            test="tests/faults/test_gateway_bad_input.py",
            in_make_test=True,
            counts=f"no events: {sum(statuses.values())} answers to bad requests, "
            + ", ".join(f"{n} x {s}" for s, n in sorted(statuses.items()))
            + f", 0 x 5xx; {len(reads)} dashboard reads during the attack all 200, "
            f"median {reads[len(reads) // 2]:.3f} s, slowest {reads[-1]:.3f} s; the process stayed up",
            seconds=round(time.monotonic() - started, 1),
            extra={
                "bad_connections": len(outcomes),
                "server_errors": server_errors,
                "dashboard_reads": len(reads),
            },
        ),
    )
