"""The load generator: one process of asyncio WebSocket clients behaving like real meetings.

Each worker process gets whole meetings (so the facilitator's send time and every participant's
receive time come from one ``perf_counter``) and runs them through phases the parent drives:

1. join: every participant connects at a paced rate; connect → ``hello`` is the join latency;
2. steady (``duration`` s): the facilitator walks the stages (``advance_stage`` with
   ``expected_stage``; from the conclusion it goes back to the presentation, so a meeting never
   ends), pauses, resumes and extends timers; the client and the consultants each send a command
   that fits the current stage every ``write_interval`` s on average; a few participants drop and
   reconnect with ``?since=``. Fan-out latency of a stage change = facilitator's send → the last
   socket of the meeting receiving that ``stage_changed``;
3. capacity (``capacity`` s): every participant but the facilitator toggles ``set_ready`` in a
   closed loop (next command when the previous is acked): the most events/s the server delivers.

The same client runs against the baseline relay, which answers the same messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import os
import random
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as MpEvent
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

perf = time.perf_counter

CYCLE = ("presentation", "clarification", "contract", "consultation", "synthesis", "conclusion")
FANOUT_TIMEOUT = 10.0
SAMPLING = ("steady", "settle")
KINDS = ("reaction", "hypothesis", "suggestion", "experience", "question", "resource")
HELP = ("ideas", "experiences", "hypotheses", "resources", "reactions")
WORDS = (
    *("team", "budget", "deadline", "trust", "manager", "client", "feedback", "meeting"),
    *("plan", "risk", "change", "colleague", "project", "priority", "conflict", "delegate"),
    *("learning", "decision", "customer", "quality", "energy", "time"),
)


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


@dataclass(frozen=True)
class WorkerConfig:
    meetings: list[dict[str, Any]]
    """[{meeting_id, ports: [port per person], people: [[member_id, cookie, role], ...]}]"""
    join_rate: float
    join_concurrency: int
    duration: float
    write_interval: float
    stage_interval: float
    timer_probability: float
    reconnects_per_min: float
    capacity: float
    seed: int
    cores: list[int] | None = None


@dataclass(eq=False)
class Sock:
    room: Room
    member_id: str
    cookie: str
    role: str
    port: int
    ws: ClientConnection | None = None
    live: bool = False
    """hello received and the socket open: the socket counts for fan-out."""
    last_seq: int = 0
    ready: bool = False
    reader: asyncio.Task[None] | None = None


@dataclass(eq=False)
class Pending:
    started: float
    waiting: set[Sock]


@dataclass(eq=False)
class Room:
    meeting_id: str
    socks: list[Sock] = field(default_factory=list)
    stage: str = "lobby"
    seen_seq: int = 0
    questions: list[int] = field(default_factory=list)
    contributions: list[int] = field(default_factory=list)
    pending: Pending | None = None


@dataclass
class Stats:
    join_ms: list[float] = field(default_factory=list)
    resume_ms: list[float] = field(default_factory=list)
    fanout_ms: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    fanout_timeouts: int = 0
    join_failures: int = 0
    resume_failures: int = 0
    events: Counter[str] = field(default_factory=Counter)
    """Sequenced events received, per phase."""
    frames: Counter[str] = field(default_factory=Counter)
    bytes: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    commands: Counter[str] = field(default_factory=Counter)
    sizes: dict[str, list[int]] = field(default_factory=dict)
    gaps: int = 0
    unexpected_closes: int = 0
    capacity_acks: int = 0
    unanswered: int = 0
    close_codes: Counter[str] = field(default_factory=Counter)
    """Why sockets closed that the bench did not close (code and reason)."""
    live_after_join: int = 0
    live_after_steady: int = 0
    """Commands of the steady phase with no ack or error 30 s after the phase ended."""


class Worker:
    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.stats = Stats()
        self.phase = "join"
        self.stopping = False
        self.rooms: list[Room] = []
        self.acks: dict[str, tuple[float, asyncio.Future[None] | None]] = {}
        self._cids = itertools.count()
        self._prefix = f"w{config.seed}-"
        self._size_budget = 200  # frame sizes kept per type (for the baseline's same-sized texts)
        for spec in config.meetings:
            room = Room(spec["meeting_id"])
            for (member_id, cookie, role), port in zip(spec["people"], spec["ports"], strict=True):
                room.socks.append(Sock(room, member_id, cookie, role, port))
            self.rooms.append(room)

    @property
    def socks(self) -> list[Sock]:
        return [s for room in self.rooms for s in room.socks]

    # --- connections ----------------------------------------------------------------------------

    async def open(self, sock: Sock, since: int | None = None) -> float | None:
        """Connect and wait for hello; returns ms from connect to hello, None on failure."""
        url = f"ws://127.0.0.1:{sock.port}/ws/meetings/{sock.room.meeting_id}"
        if since is not None:
            url += f"?since={since}"
        started = perf()
        try:
            ws = await connect(
                url,
                additional_headers={"Cookie": f"codev_session={sock.cookie}"},
                origin=Origin(f"http://127.0.0.1:{sock.port}"),
                compression=None,
                ping_interval=None,  # browsers do not ping; the server does
                open_timeout=60,
                close_timeout=5,
                max_size=2**22,
            )
            raw = await asyncio.wait_for(ws.recv(), 60)
        except Exception:
            return None
        elapsed = (perf() - started) * 1000
        hello = json.loads(raw)
        if hello.get("type") != "hello":
            self.stats.errors[f"connect:{hello.get('code', hello.get('type'))}"] += 1
            await ws.close()
            return None
        self._size("hello", raw)
        if not hello.get("resumed"):
            sock.last_seq = hello.get("seq", 0)
            state = hello.get("state") or {}
            if "stage" in state and hello.get("seq", 0) >= sock.room.seen_seq:
                sock.room.stage = state["stage"]
                sock.room.seen_seq = hello.get("seq", 0)
        sock.ws = ws
        sock.live = True
        sock.reader = asyncio.create_task(self.read(sock, ws))
        return elapsed

    async def join_all(self) -> None:
        config = self.config
        gate = asyncio.Semaphore(config.join_concurrency)
        start = perf()
        interval = 1 / config.join_rate

        async def join(index: int, sock: Sock) -> None:
            await asyncio.sleep(max(0.0, start + index * interval - perf()))
            async with gate:
                ms = await self.open(sock)
            if ms is None:
                self.stats.join_failures += 1
            else:
                self.stats.join_ms.append(ms)

        # Interleave meetings so every room fills up gradually, like people arriving.
        order = [
            s for group in itertools.zip_longest(*(r.socks for r in self.rooms)) for s in group
        ]
        await asyncio.gather(*(join(i, s) for i, s in enumerate(s for s in order if s)))

    async def read(self, sock: Sock, ws: ClientConnection) -> None:
        stats = self.stats
        loads = json.loads
        try:
            async for raw in ws:
                now = perf()
                phase = self.phase
                message = loads(raw)
                kind = message.get("type")
                stats.frames[phase] += 1
                stats.bytes[phase] += len(raw)
                if kind == "ack" or kind == "error":
                    self._answered(message, kind, now)
                    continue
                seq = message.get("seq")
                if kind == "presence" or kind == "pong" or seq is None:
                    continue
                if kind == "hello":  # a resync answer: start over from its seq
                    sock.last_seq = message["seq"]
                    continue
                stats.events[phase] += 1
                if len(stats.sizes.get(kind, ())) < self._size_budget:
                    self._size(kind, raw)
                if seq > sock.last_seq + 1 and sock.last_seq:
                    stats.gaps += 1
                if seq > sock.last_seq:
                    sock.last_seq = seq
                room = sock.room
                if seq > room.seen_seq:
                    room.seen_seq = seq
                    self._evolve(room, kind, message, seq)
                if kind == "stage_changed":
                    pending = room.pending
                    if pending is not None and sock in pending.waiting:
                        pending.waiting.discard(sock)
                        if not pending.waiting:
                            self._fanout_done(room, now)
        except Exception:
            pass
        finally:
            if sock.ws is ws:
                sock.live = False
                if not self.stopping:
                    stats.unexpected_closes += 1
                    code = ws.close_code if ws.close_code is not None else "none"
                    stats.close_codes[f"{code} {ws.close_reason or ''}".strip()] += 1
                self._drop_from_pending(sock)

    def _size(self, kind: str, raw: str | bytes) -> None:
        self.stats.sizes.setdefault(kind, []).append(len(raw))

    def _evolve(self, room: Room, kind: str, message: dict[str, Any], seq: int) -> None:
        if kind == "stage_changed":
            room.stage = message.get("stage", room.stage)
        elif kind == "question_asked":
            room.questions.append(message.get("question", {}).get("id", seq))
            del room.questions[:-20]
        elif kind == "contribution_added":
            room.contributions.append(message.get("contribution", {}).get("id", seq))
            del room.contributions[:-20]

    def _answered(self, message: dict[str, Any], kind: str, now: float) -> None:
        if kind == "error":
            self.stats.errors[f"{message.get('code')} ({self.phase})"] += 1
        entry = self.acks.pop(message.get("cid") or "", None)
        if entry is None:
            return
        started, future = entry
        if self.phase in SAMPLING:
            self.stats.ack_ms.append((now - started) * 1000)
        if future is not None and not future.done():
            future.set_result(None)

    def _fanout_done(self, room: Room, now: float) -> None:
        pending = room.pending
        assert pending is not None
        room.pending = None
        if self.phase in SAMPLING:
            self.stats.fanout_ms.append((now - pending.started) * 1000)

    def _drop_from_pending(self, sock: Sock) -> None:
        pending = sock.room.pending
        if pending is not None and sock in pending.waiting:
            pending.waiting.discard(sock)
            if not pending.waiting:
                self._fanout_done(sock.room, perf())

    async def send(
        self,
        sock: Sock,
        kind: str,
        fields: dict[str, Any] | None = None,
        future: asyncio.Future[None] | None = None,
    ) -> bool:
        """Send a command (``fields`` may hold a ``kind`` of its own: contributions do)."""
        fields = fields or {}
        ws = sock.ws
        if ws is None or not sock.live:
            return False
        cid = self._prefix + str(next(self._cids))
        self.acks[cid] = (perf(), future)
        self.stats.commands[kind] += 1
        try:
            await asyncio.wait_for(ws.send(json.dumps({"type": kind, "cid": cid, **fields})), 10)
        except Exception:
            self.acks.pop(cid, None)
            return False
        return True

    # --- behaviour ------------------------------------------------------------------------------

    async def facilitate(self, room: Room, until: float) -> None:
        rng, config = self.rng, self.config
        facilitator = room.socks[0]
        await asyncio.sleep(rng.uniform(0, config.stage_interval))
        while perf() < until:
            if room.stage in CYCLE and rng.random() < config.timer_probability:
                if rng.random() < 0.5:
                    await self.send(facilitator, "pause_timer")
                    await asyncio.sleep(rng.uniform(0.5, 1.5))
                    await self.send(facilitator, "resume_timer")
                else:
                    await self.send(facilitator, "extend_timer", {"seconds": 60})
            await asyncio.sleep(config.stage_interval * rng.uniform(0.7, 1.3))
            if perf() >= until or not facilitator.live:
                continue
            if room.pending is not None:
                if perf() - room.pending.started < FANOUT_TIMEOUT:
                    continue
                self.stats.fanout_timeouts += 1
                room.pending = None
            stage = room.stage
            if stage == "conclusion":
                kind, fields = "return_to_stage", {"expected_stage": stage, "stage": CYCLE[0]}
            elif stage == "consultation" and rng.random() < 0.15:
                kind, fields = "return_to_stage", {"expected_stage": stage, "stage": "contract"}
            else:
                kind, fields = "advance_stage", {"expected_stage": stage}
            waiting = {s for s in room.socks if s.live}
            room.pending = Pending(perf(), waiting)
            if not await self.send(facilitator, kind, fields):
                room.pending = None

    def command_for(self, sock: Sock) -> tuple[str, dict[str, Any]]:
        """A command that fits this participant's role and the meeting's current stage."""
        rng, room, stage = self.rng, sock.room, sock.room.stage
        client = sock.role == "client"
        if stage == "clarification":
            if client and room.questions:
                return "answer_question", {
                    "question_id": rng.choice(room.questions),
                    "text": sentence(rng, 14),
                }
            if not client:
                return "ask_question", {"text": sentence(rng, 12) + "?"}
        elif stage == "contract":
            if client:
                return "set_contract", {
                    "text": "Help me to " + sentence(rng, 12),
                    "help_wanted": ["ideas"],
                }
            return "rephrase_contract", {"text": "You want us to " + sentence(rng, 12)}
        elif stage == "consultation":
            if client and room.contributions:
                return "mark_contribution", {
                    "contribution_id": rng.choice(room.contributions),
                    "mark": rng.choice(("keep", "maybe")),
                }
            if not client:
                return "add_contribution", {"kind": rng.choice(KINDS), "text": sentence(rng, 20)}
        elif stage == "presentation" and client:
            return "set_case", {
                "headline": sentence(rng, 6),
                "topic_type": "problem",
                "context": sentence(rng, 40),
                "question": sentence(rng, 10) + "?",
            }
        elif stage == "synthesis" and client:
            return "set_synthesis", {"text": sentence(rng, 40)}
        elif stage == "conclusion":
            return "post_learning", {"text": sentence(rng, 15)}
        if stage != "lobby" and rng.random() < 0.5:
            sock.ready = not sock.ready
            return "set_ready", {"ready": sock.ready}
        return "add_private_note", {"text": sentence(rng, 10)}

    async def participate(self, sock: Sock, until: float) -> None:
        rng, interval = self.rng, self.config.write_interval
        await asyncio.sleep(rng.uniform(0, interval))
        while perf() < until:
            if sock.live:
                kind, fields = self.command_for(sock)
                await self.send(sock, kind, fields)
            await asyncio.sleep(interval * rng.uniform(0.5, 1.5))

    async def reconnect_now_and_then(self, until: float) -> None:
        """Drop a few random participants and bring them back with ``?since=``."""
        per_second = self.config.reconnects_per_min / 60
        candidates = [s for s in self.socks if s.role != "facilitator"]
        if per_second <= 0 or not candidates:
            return
        tasks: set[asyncio.Task[None]] = set()
        while perf() < until:
            await asyncio.sleep(self.rng.expovariate(per_second))
            if perf() >= until:
                break
            sock = self.rng.choice(candidates)
            if sock.live:
                task = asyncio.create_task(self._reconnect(sock))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=30)

    async def _reconnect(self, sock: Sock) -> None:
        ws = sock.ws
        sock.live = False
        self._drop_from_pending(sock)
        sock.ws = None
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        await asyncio.sleep(self.rng.uniform(0.2, 2.0))
        ms = await self.open(sock, since=sock.last_seq)
        if ms is None:
            self.stats.resume_failures += 1
        else:
            self.stats.resume_ms.append(ms)

    async def steady(self) -> None:
        self.phase = "steady"
        until = perf() + self.config.duration
        tasks = [self.facilitate(room, until) for room in self.rooms]
        tasks += [self.participate(s, until) for s in self.socks if s.role != "facilitator"]
        tasks.append(self.reconnect_now_and_then(until))
        tasks.append(self._end_window(self.config.duration, "settle"))
        await asyncio.gather(*tasks)
        await asyncio.sleep(1.0)  # the last fan-outs still land and are measured
        # An overloaded server still has commands queued: let it finish (bounded) before the
        # capacity phase, and count what it never answered.
        for _ in range(300):  # 30 s at most
            if not self.acks:
                break
            await asyncio.sleep(0.1)
        self.stats.unanswered += len(self.acks)
        self.acks.clear()
        for room in self.rooms:
            if room.pending is not None:
                self.stats.fanout_timeouts += 1
                room.pending = None

    async def saturate(self) -> None:
        """Closed loop: each participant sends its next ``set_ready`` when the last is acked."""
        self.phase = "capacity"
        until = perf() + self.config.capacity
        loop = asyncio.get_running_loop()

        async def toggle(sock: Sock) -> None:
            while perf() < until:
                if not sock.live:
                    await asyncio.sleep(0.2)
                    continue
                future: asyncio.Future[None] = loop.create_future()
                sock.ready = not sock.ready
                if not await self.send(sock, "set_ready", {"ready": sock.ready}, future):
                    continue
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(future, 10)
                    self.stats.capacity_acks += 1

        # set_ready is refused in the lobby (the baseline takes anything): a meeting still there
        # (a short steady phase) starts first, so that the phase counts accepted writes only.
        await asyncio.gather(*(self._open(room) for room in self.rooms if room.stage == "lobby"))
        togglers = [toggle(s) for s in self.socks if s.role != "facilitator"]
        await asyncio.gather(*togglers, self._end_window(self.config.capacity, "drain"))

    async def _open(self, room: Room) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if await self.send(room.socks[0], "advance_stage", {"expected_stage": "lobby"}, future):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(future, 10)

    async def _end_window(self, seconds: float, next_phase: str) -> None:
        """Events are counted per phase: this closes the window at exactly ``seconds``."""
        await asyncio.sleep(seconds)
        self.phase = next_phase

    async def close_all(self) -> None:
        self.stopping = True
        for sock in self.socks:
            ws, sock.ws, sock.live = sock.ws, None, False
            if ws is not None:
                with contextlib.suppress(Exception):
                    await ws.close()
            if sock.reader is not None:
                sock.reader.cancel()

    def report(self) -> dict[str, Any]:
        s = self.stats
        return {
            "join_ms": s.join_ms,
            "resume_ms": s.resume_ms,
            "fanout_ms": s.fanout_ms,
            "ack_ms": s.ack_ms,
            "fanout_timeouts": s.fanout_timeouts,
            "join_failures": s.join_failures,
            "resume_failures": s.resume_failures,
            "events": dict(s.events),
            "frames": dict(s.frames),
            "bytes": dict(s.bytes),
            "errors": dict(s.errors),
            "commands": dict(s.commands),
            "sizes": {k: sum(v) / len(v) for k, v in s.sizes.items() if v},
            "gaps": s.gaps,
            "unexpected_closes": s.unexpected_closes,
            "capacity_acks": s.capacity_acks,
            "unanswered": s.unanswered,
            "close_codes": dict(s.close_codes),
            "live_after_join": s.live_after_join,
            "live_after_steady": s.live_after_steady,
            "connected": sum(1 for sock in self.socks if sock.live),
            "sockets": len(self.socks),
        }


def run_worker(
    config: WorkerConfig,
    results: Any,
    go_steady: MpEvent,
    go_capacity: MpEvent,
    go_close: MpEvent,
) -> None:
    """Entry point of a load process; talks to the parent through ``results`` and three events."""
    if config.cores:
        os.sched_setaffinity(0, set(config.cores))
    gc.freeze()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_main(config, results, go_steady, go_capacity, go_close))


async def _wait(event: MpEvent, limit: float) -> bool:
    deadline = perf() + limit
    while not event.is_set():
        if perf() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _main(
    config: WorkerConfig, results: Any, go_steady: MpEvent, go_capacity: MpEvent, go_close: MpEvent
) -> None:
    worker = Worker(config)
    crash = None
    try:
        await worker.join_all()
        worker.stats.live_after_join = sum(1 for sock in worker.socks if sock.live)
        gc.collect()
        gc.freeze()  # the client's own long-lived sockets: keep its GC pauses out of the figures
        results.put(("joined", config.seed, len(worker.stats.join_ms)))
        if await _wait(go_steady, 600):
            await worker.steady()
            worker.stats.live_after_steady = sum(1 for sock in worker.socks if sock.live)
        results.put(("steady", config.seed, None))
        if config.capacity > 0 and await _wait(go_capacity, 600):
            await worker.saturate()
        results.put(("capacity", config.seed, None))
        await _wait(go_close, 120)
    except Exception:
        crash = traceback.format_exc()
    finally:
        report = worker.report()
        report["crash"] = crash
        await worker.close_all()
        results.put(("report", config.seed, report))
