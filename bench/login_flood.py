"""Does a flood at the door slow a live meeting down? ``python -m bench.login_flood``

One real ``codev serve`` on loopback (pinned to core 0 unless ``--no-pin``; the measuring
clients run in this process and the flooders in another, both on core 1). Four meetings are
live throughout: in each, the facilitator moves the stage back and forth a few times a second
and every participant's socket receives the ``stage_changed``. Measured per move: **command →
ack** and **fan-out** (send → the last of the meeting's sockets received the event), as
percentiles, in four phases of ``--seconds`` each:

1. ``idle``: nothing else happens;
2. ``login_flood``: 8 concurrent clients post wrong passwords for the organizer's account as
   fast as they are answered (one attacker, one address);
3. ``distributed_login_flood``: the same, but each try names another email from another
   address (``X-Forwarded-For``, trusted from loopback as from a local proxy), so no per-account
   or per-address limit applies and only the bound on concurrent password hashes protects;
4. ``reconnect_flood``: 8 members of another meeting reconnect in a loop, each time sending a
   burst of 40 messages (the per-member limit refuses them).

The result goes to ``bench/results/login_flood.json``; ``--app-root`` runs the server from
another checkout (e.g. the main branch, for a before/after).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench.server import CpuMeter, free_port
from bench.stats import percentile, summary

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "login_flood.json"
SETUP_LINK = re.compile(r"(http://\S+/setup\?token=\S+)")
PASSWORD = "a long password for the bench"
FLOODERS = 8
LIVE_MEETINGS = 4
STEP_INTERVAL = 0.15
"""Seconds between a facilitator's stage moves (under the 10 messages/s a member may send)."""


def perf() -> float:
    return time.perf_counter()


# --- the server -----------------------------------------------------------------------------------


@dataclass
class Server:
    root: Path
    data_dir: Path
    port: int
    pin: bool
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.data_dir.parent / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)]
        if self.pin:
            argv = ["taskset", "-c", "0", *argv]
        env = {
            **os.environ,
            "CODEV_DATA_DIR": str(self.data_dir),
            "CODEV_HOST": "127.0.0.1",
            "CODEV_SECRET_KEY": "bench-login-flood",
            "PYTHONUNBUFFERED": "1",
        }
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                argv, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + self.log.read_text()[-3000:])
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/api/setup", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("server did not start:\n" + self.log.read_text()[-3000:])

    def setup_token(self) -> str:
        match = SETUP_LINK.search(self.log.read_text())
        assert match, "no setup link printed"
        return parse_qs(urlparse(match.group(1)).query)["token"][0]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(2)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- setting up: an organizer, groups, meetings, cookies ------------------------------------------


@dataclass
class Meeting:
    id: str
    facilitator_cookie: str
    member_cookies: list[str]


def _setup(server: Server, meetings: int, members: int) -> list[Meeting]:
    with httpx.Client(base_url=server.url, timeout=30) as org:
        made = org.post(
            "/api/setup",
            json={
                "token": server.setup_token(),
                "email": "org@example.org",
                "name": "Olivia Organizer",
                "password": PASSWORD,
            },
        )
        assert made.status_code == 201, made.text
        organizer_cookie = str(org.cookies["codev_session"])
        result = []
        for m in range(meetings):
            group = org.post("/api/groups", json={"name": f"Bench circle {m}"}).json()["id"]
            ids = [
                org.post(f"/api/groups/{group}/members", json={"name": f"Member {m}.{i}"}).json()[
                    "id"
                ]
                for i in range(members)
            ]
            roster = org.get(f"/api/groups/{group}/members").json()
            facilitator = next(r["id"] for r in roster if r["is_facilitator"])
            body = {
                "title": f"Bench meeting {m}",
                "facilitator_id": facilitator,
                "consultations": [{"client_id": ids[0], "scribe_id": None, "preset": "90"}],
            }
            made = org.post(f"/api/groups/{group}/meetings", json=body)
            assert made.status_code == 201, made.text
            cookies = []
            for member_id in ids:
                url = org.post(f"/api/members/{member_id}/invite").json()["url"]
                opened = httpx.get(server.url + urlparse(url).path, timeout=30)
                cookies.append(str(opened.cookies["codev_session"]))
            result.append(Meeting(made.json()["id"], organizer_cookie, cookies))
        return result


# --- the live meetings that are measured ----------------------------------------------------------


@dataclass
class Sock:
    ws: ClientConnection
    messages: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)


async def _open(port: int, meeting_id: str, cookie: str) -> ClientConnection:
    return await connect(
        f"ws://127.0.0.1:{port}/ws/meetings/{meeting_id}",
        additional_headers={"Cookie": f"codev_session={cookie}"},
        origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
        open_timeout=30,
        # Unread answers do not stall the connection (a full queue would hold back the close).
        max_queue=None,
    )


@dataclass
class LiveMeeting:
    """A facilitator who moves the stage back and forth; every socket's arrivals are timed."""

    server: Server
    meeting: Meeting
    socks: list[ClientConnection] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    fanouts: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    _pending: dict[str, float] = field(default_factory=dict)
    _ack_seq: dict[str, int] = field(default_factory=dict)
    _arrivals: dict[int, list[float]] = field(default_factory=dict)
    _sent: dict[int, float] = field(default_factory=dict)
    _readers: list[asyncio.Task[None]] = field(default_factory=list)
    _answered: asyncio.Event = field(default_factory=asyncio.Event)
    stage: str = "lobby"
    recording: bool = False

    async def open(self) -> None:
        cookies = [self.meeting.facilitator_cookie, *self.meeting.member_cookies]
        for index, cookie in enumerate(cookies):
            ws = await _open(self.server.port, self.meeting.id, cookie)
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello", hello
            if index == 0:
                self.stage = hello["state"]["stage"]
            self.socks.append(ws)
            self._readers.append(asyncio.create_task(self._read(ws, index == 0)))

    async def _read(self, ws: ClientConnection, facilitator: bool) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                now = perf()
                message = json.loads(raw)
                kind = message["type"]
                if kind == "stage_changed":
                    self._arrivals.setdefault(message["seq"], []).append(now)
                    if facilitator:
                        self.stage = message["stage"]
                    self._fanout_done(message["seq"])
                elif facilitator and kind in ("ack", "error"):
                    started = self._pending.pop(message.get("cid") or "", None)
                    if started is None:
                        continue
                    self._answered.set()
                    if kind == "error":
                        self.errors[message["code"]] += 1
                        continue
                    if self.recording:
                        self.acks.append((now - started) * 1000)
                    self._sent[message["seq"]] = started
                    self._fanout_done(message["seq"])

    def _fanout_done(self, seq: int) -> None:
        arrivals = self._arrivals.get(seq, [])
        started = self._sent.get(seq)
        if started is not None and len(arrivals) == len(self.socks):
            if self.recording:
                self.fanouts.append((max(arrivals) - started) * 1000)
            del self._arrivals[seq], self._sent[seq]

    async def walk(self, until: float) -> None:
        """Move between the first two stages of the consultation until ``until``."""
        facilitator = self.socks[0]
        while perf() < until:
            if self.stage == "clarification":
                command = {"type": "return_to_stage", "expected_stage": self.stage}
                command["stage"] = "presentation"
            else:
                command = {"type": "advance_stage", "expected_stage": self.stage}
            cid = uuid.uuid4().hex
            self._answered.clear()
            self._pending[cid] = perf()
            await facilitator.send(json.dumps({**command, "cid": cid}))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._answered.wait(), 10)
            self._pending.pop(cid, None)
            await asyncio.sleep(STEP_INTERVAL)

    async def close(self) -> None:
        for ws in self.socks:
            await ws.close()
        await asyncio.gather(*self._readers, return_exceptions=True)


# --- the floods -----------------------------------------------------------------------------------


async def _login_flood(port: int, until: float, distributed: bool) -> Counter[int]:
    statuses: Counter[int] = Counter()

    async def one(index: int) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            n = 0
            while perf() < until:
                n += 1
                email, headers = "org@example.org", {}
                if distributed:
                    email = f"guess-{index}-{n}@example.org"
                    headers = {"X-Forwarded-For": f"10.{index}.{n // 250 % 250}.{n % 250 + 1}"}
                body = {"email": email, "password": f"wrong {n}"}
                answer = await client.post("/api/auth/login", json=body, headers=headers)
                statuses[answer.status_code] += 1
                if answer.status_code == 429 and not distributed:
                    continue  # an attacker does not wait for Retry-After

    await asyncio.gather(*(one(i) for i in range(FLOODERS)))
    return statuses


async def _reconnect_flood(port: int, meeting: Meeting, until: float) -> Counter[str]:
    outcomes: Counter[str] = Counter()

    async def one(cookie: str) -> None:
        while perf() < until:
            try:
                ws = await _open(port, meeting.id, cookie)
            except (InvalidStatus, OSError):
                outcomes["refused"] += 1
                continue
            outcomes["connected"] += 1
            with contextlib.suppress(ConnectionClosed):
                for i in range(40):
                    await ws.send(json.dumps({"type": "ping", "cid": f"r{i}"}))
                await ws.close()

    await asyncio.gather(*(one(c) for c in meeting.member_cookies[:FLOODERS]))
    return outcomes


# --- the run --------------------------------------------------------------------------------------


def _flood(kind: str, port: int, seconds: float, meeting: Meeting | None) -> Counter[Any]:
    """One flood for ``seconds``, run in a process of its own: the measuring clients keep their
    event loop to themselves (8 flooders at full speed would otherwise delay their reads)."""

    async def run() -> Counter[Any]:
        until = perf() + seconds
        if kind == "reconnect":
            assert meeting is not None
            return await _reconnect_flood(port, meeting, until)
        return await _login_flood(port, until, distributed=kind == "distributed")

    return asyncio.run(run())


async def _phase(
    name: str,
    live: list[LiveMeeting],
    seconds: float,
    flood: Callable[[float], Awaitable[Counter[Any]]] | None,
    pids: list[int],
) -> dict[str, Any]:
    for meeting in live:
        meeting.acks.clear()
        meeting.fanouts.clear()
        meeting.recording = True
    until = perf() + seconds
    cpu = CpuMeter(pids)
    cpu.start()
    walks = [asyncio.create_task(m.walk(until)) for m in live]
    flooded = await flood(until) if flood else Counter()
    await asyncio.gather(*walks)
    server_cpu = cpu.stop()
    for meeting in live:
        meeting.recording = False
    acks = [a for m in live for a in m.acks]
    fanouts = [f for m in live for f in m.fanouts]
    result = {
        "phase": name,
        "seconds": seconds,
        "command_to_ack_ms": summary(acks),
        "fanout_ms": summary(fanouts),
        "server_cpu_percent": round(server_cpu, 1),
        "machine_load_1min": round(os.getloadavg()[0], 1),
        "flood": {str(k): v for k, v in sorted(flooded.items())},
    }
    print(
        f"{name:>24}: ack p50 {percentile(acks, 50) or 0:6.1f} p90 {percentile(acks, 90) or 0:6.1f}"
        f" p99 {percentile(acks, 99) or 0:6.1f}"
        f" ms | fan-out p50 {percentile(fanouts, 50) or 0:6.1f}"
        f" p99 {percentile(fanouts, 99) or 0:6.1f} ms | server CPU {server_cpu:5.1f} %"
        f" | load {os.getloadavg()[0]:4.1f} | {dict(flooded)}",
        flush=True,
    )
    return result


async def _run(server: Server, seconds: float) -> dict[str, Any]:
    meetings = await asyncio.to_thread(_setup, server, LIVE_MEETINGS + 1, FLOODERS)
    live = [LiveMeeting(server, m) for m in meetings[:LIVE_MEETINGS]]
    flooded = meetings[LIVE_MEETINGS]
    for meeting in live:
        await meeting.open()
    assert server.process is not None
    pids = [server.process.pid]
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))

    def flood(kind: str) -> Callable[[float], Awaitable[Counter[Any]]]:
        target = flooded if kind == "reconnect" else None
        return lambda until: loop.run_in_executor(
            pool, _flood, kind, server.port, until - perf(), target
        )

    await loop.run_in_executor(pool, sum, [])  # the flooding process is up before any phase
    await _phase("warm-up", live, min(3.0, seconds), None, pids)
    phases = [
        await _phase("idle", live, seconds, None, pids),
        await _phase("login_flood", live, seconds, flood("login"), pids),
        await _phase("distributed_login_flood", live, seconds, flood("distributed"), pids),
        await _phase("reconnect_flood", live, seconds, flood("reconnect"), pids),
    ]
    pool.shutdown()
    for meeting in live:
        await meeting.close()
    idle = phases[0]["command_to_ack_ms"]["p99"] or 0
    for phase in phases:
        p99 = phase["command_to_ack_ms"]["p99"]
        phase["ack_p99_vs_idle"] = round(p99 / idle, 2) if p99 and idle else None
    errors = sum((m.errors for m in live), Counter())
    return {"phases": phases, "live_meeting_errors": dict(errors)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.login_flood", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server to core 0")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="checkout to serve from")
    parser.add_argument("--label", default="", help="kept with the result")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)
    pin = not args.no_pin and (os.cpu_count() or 1) > 1
    if pin:
        os.sched_setaffinity(0, {1})  # the clients: off the server's core
    with tempfile.TemporaryDirectory(prefix="codev-login-flood-") as tmp:
        server = Server(args.app_root.resolve(), Path(tmp) / "data", free_port(), pin)
        server.start()
        try:
            result = asyncio.run(_run(server, args.seconds))
        finally:
            server.stop()
    commit = subprocess.run(
        ["git", "-C", str(args.app_root), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    result = {
        "label": args.label,
        "commit": commit,
        "pinned": pin,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **result,
    }
    if not args.no_save:
        runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
        runs.append(result)
        RESULTS.write_text(json.dumps(runs, indent=2) + "\n")
        print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
