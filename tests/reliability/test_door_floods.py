"""Nobody can take the server down for everyone else at its door: password guessing is limited
per account and per address, password hashes run a few at a time, request bodies are capped,
and silent connections are dropped, so legitimate requests still get through.
"""

from __future__ import annotations

import asyncio
import json
import resource
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.live import LiveServer, free_port
from tests.reliability.helpers import WITHIN

pytestmark = pytest.mark.slow

PER_ACCOUNT = 10
"""``CODEV_LOGIN_FAILURES_PER_ACCOUNT`` by default."""
PER_ADDRESS = 30
"""``CODEV_LOGIN_FAILURES_PER_ADDRESS`` by default."""
BODY_LIMIT = 1024 * 1024
"""``CODEV_MAX_BODY_BYTES`` by default."""
CAP = 20
SLOW_REFILL = "86400"
"""A day to refill the allowance: however slowly the machine runs, the counts are exact."""


def _server(tmp: Path, **env: str) -> Iterator[LiveServer]:
    server = LiveServer(data_dir=tmp / "data", port=free_port(), env=env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose password checks wait at most 10 ms for their turn, with a low cap."""
    env = {
        "CODEV_PASSWORD_HASH_WAIT": "0.01",
        "CODEV_MAX_CONNECTIONS": str(CAP),
        "CODEV_CONNECT_TIMEOUT": "10",
        "CODEV_LOGIN_WINDOW_SECONDS": SLOW_REFILL,
    }
    yield from _server(tmp_path_factory.mktemp("guarded"), **env)


def _login(client: httpx.Client, email: str, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    body = {"email": email, "password": "not it"}
    return client.post("/api/auth/login", json=body, headers=headers)


def _rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited", response.text
    assert response.json()["error"]["message"]
    assert int(response.headers["retry-after"]) >= 1


# --- sign-in ------------------------------------------------------------------------------------


def test_wrong_passwords_for_one_account_get_429_even_from_many_addresses(
    guarded: LiveServer,
) -> None:
    # The server trusts X-Forwarded-For from loopback (a local proxy), so each try comes from
    # another address, as a distributed guesser's would.
    with httpx.Client(base_url=guarded.url, timeout=WITHIN) as client:
        for i in range(PER_ACCOUNT):
            assert _login(client, "target@example.org", f"10.1.0.{i}").status_code == 401
        _rate_limited(_login(client, "target@example.org", "10.1.0.200"))
        # The limit is the account's: another account from a new address is answered as usual.
        assert _login(client, "someone@example.org", "10.1.0.201").status_code == 401


def test_one_address_guessing_many_accounts_gets_429(guarded: LiveServer) -> None:
    with httpx.Client(base_url=guarded.url, timeout=WITHIN) as client:
        for i in range(PER_ADDRESS):
            assert _login(client, f"guess{i}@example.org", "10.2.0.1").status_code == 401
        _rate_limited(_login(client, "guess-more@example.org", "10.2.0.1"))
        assert _login(client, "guess-more@example.org", "10.2.0.2").status_code == 401


def test_password_checks_past_the_bound_are_answered_busy_not_queued_without_end(
    guarded: LiveServer,
) -> None:
    async def flood() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=guarded.url, timeout=WITHIN) as client:
            tries = [
                client.post(
                    "/api/auth/login",
                    json={"email": f"flood{i}@example.org", "password": "not it"},
                    headers={"X-Forwarded-For": f"10.3.0.{i}"},
                )
                for i in range(16)
            ]
            return await asyncio.gather(*tries)

    answers = asyncio.run(flood())
    statuses = sorted(r.status_code for r in answers)
    print(f"\n16 concurrent wrong passwords: {statuses}")
    assert set(statuses) <= {401, 503}, statuses
    busy = [r for r in answers if r.status_code == 503]
    assert busy, "no password check was turned away: nothing bounds them"
    assert all(r.json()["error"]["code"] == "busy" for r in busy)
    assert all(int(r.headers["retry-after"]) >= 1 for r in busy)


def test_a_client_cannot_dodge_the_address_limit_with_a_forwarded_header(
    tmp_path: Path,
) -> None:
    # Behind no proxy (none trusted), X-Forwarded-For is the client's own words: ignored.
    for server in _server(
        tmp_path, FORWARDED_ALLOW_IPS="192.0.2.1", CODEV_LOGIN_WINDOW_SECONDS=SLOW_REFILL
    ):
        with httpx.Client(base_url=server.url, timeout=WITHIN) as client:
            for i in range(PER_ADDRESS):
                answer = _login(client, f"dodge{i}@example.org", f"10.4.0.{i}")
                assert answer.status_code == 401
            _rate_limited(_login(client, "dodge-more@example.org", "10.4.1.1"))


# --- request bodies -----------------------------------------------------------------------------


def _exchange(server: LiveServer, head: bytes, chunks: Iterator[bytes] | None = None) -> bytes:
    """Send raw bytes on a fresh connection; everything the server answered before closing."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=WITHIN) as sock:
        sock.sendall(head)
        for chunk in chunks or ():
            sock.sendall(chunk)
        received = b""
        while b"\r\n\r\n" not in received or not _whole(received):
            data = sock.recv(65536)
            if not data:
                break
            received += data
        return received


def _whole(response: bytes) -> bool:
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _too_large(response: bytes) -> None:
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), response[:300]
    assert json.loads(body)["error"]["code"] == "too_large", body


def test_a_body_declared_larger_than_the_limit_is_refused_before_it_is_sent(
    guarded: LiveServer,
) -> None:
    head = (
        b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"
    )
    # Not one byte of the 100 MB is sent: the answer comes from the headers alone.
    _too_large(_exchange(guarded, head))


def test_a_chunked_body_past_the_limit_is_refused_with_413(guarded: LiveServer) -> None:
    head = (
        b"POST /api/groups HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"x" * 65536
    chunks = (b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(BODY_LIMIT // len(piece) + 1))
    # The body never ends (no last chunk): only a server that counts it can answer.
    _too_large(_exchange(guarded, head, chunks))


def test_a_body_under_the_limit_is_served_as_usual(guarded: LiveServer) -> None:
    big = {"email": "x@example.org", "password": "p" * 200, "padding": "y" * (BODY_LIMIT // 2)}
    answer = httpx.post(f"{guarded.url}/api/auth/login", json=big, timeout=WITHIN)
    assert answer.status_code in (401, 422), answer.text  # read and answered, not 413


# --- connections --------------------------------------------------------------------------------


def _silent(server: LiveServer, n: int) -> list[socket.socket]:
    """``n`` TCP connections that never send a byte."""
    return [socket.create_connection(("127.0.0.1", server.port), timeout=WITHIN) for _ in range(n)]


def test_past_the_connection_cap_a_new_request_or_socket_is_refused_with_503(
    guarded: LiveServer,
) -> None:
    idle = _silent(guarded, CAP)
    try:
        answer = httpx.get(f"{guarded.url}/api/setup", timeout=WITHIN)
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "too_many_connections"
        assert int(answer.headers["retry-after"]) >= 1

        async def open_socket() -> int:
            url = f"{guarded.ws_url}/ws/meetings/{uuid.uuid4().hex}"
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url, open_timeout=WITHIN):
                    pass
            return refused.value.response.status_code

        # uvicorn's own limit would let a WebSocket through: this one is refused too.
        assert asyncio.run(open_socket()) == 503
    finally:
        for sock in idle:
            sock.close()
    with httpx.Client(base_url=guarded.url, timeout=WITHIN) as client:
        _eventually_served(client)


def _eventually_served(client: httpx.Client) -> None:
    """A request is served once the server has seen the idle connections go."""
    deadline = time.monotonic() + 3 * WITHIN
    while time.monotonic() < deadline:
        answer = client.get("/api/setup", headers={"Connection": "close"})
        if answer.status_code == 200:
            return
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "too_many_connections"
        time.sleep(0.05)  # polling, as a client honouring Retry-After would (sooner)
    raise AssertionError("requests were still refused after the idle connections closed")


def test_silent_connections_past_the_descriptor_limit_do_not_lock_out_a_real_request(
    tmp_path: Path,
) -> None:
    server = LiveServer(
        data_dir=tmp_path / "data",
        port=free_port(),
        env={"CODEV_CONNECT_TIMEOUT": "2"},
        preexec=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256)),
    )
    server.start()
    silent: list[socket.socket] = []
    try:
        silent = _silent(server, 400)  # more than the server has file descriptors
        with httpx.Client(base_url=server.url, timeout=WITHIN) as client:
            # Refused with 503 while the silent ones hold every slot, served once the server
            # has dropped them (CODEV_CONNECT_TIMEOUT), though they are still open this side.
            _eventually_served(client)
        # The silent ones were let go by the server (closed, or told 503 and closed).
        first = silent[0]
        first.settimeout(WITHIN)
        assert first.recv(1) == b""
        assert server.process is not None
        assert server.process.poll() is None
    finally:
        for sock in silent:
            sock.close()
        server.stop()


def test_the_server_raises_its_soft_descriptor_limit_to_the_hard_limit(tmp_path: Path) -> None:
    server = LiveServer(
        data_dir=tmp_path / "data",
        port=free_port(),
        preexec=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, 4096)),
    )
    server.start()
    try:
        assert server.process is not None
        limits = Path(f"/proc/{server.process.pid}/limits").read_text()
        line = next(row for row in limits.splitlines() if row.startswith("Max open files"))
        assert line.split()[3:5] == ["4096", "4096"], line
    finally:
        server.stop()
