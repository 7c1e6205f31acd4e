"""Where one write and one join spend their time, in-process: ``python -m bench.micro``.

Runs the real write path pieces (``MeetingService``, ``MeetingLog`` on SQLite in WAL mode,
the pure machine, the wire schemas) on one seeded meeting and prints the mean wall time of each
piece over a few hundred calls, on one core. No server, no sockets: a breakdown to read next to
the py-spy profile of ``python -m bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.meetings import MeetingService, to_delivery
from app.realtime.broker import InProcessBroker, Publication
from app.realtime.wire import Hello, You, parse_client_frame
from app.settings import Settings
from app.stages import apply, fold
from app.stages.commands import AddContribution, AdvanceStage, SetReady
from app.store.db import create_engine
from app.store.event_log import MeetingLog

from .seed import migrate, seed


async def timed(
    name: str, n: int, make: Callable[[int], Awaitable[Any]], out: dict[str, float]
) -> None:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        await make(i)
        samples.append((time.perf_counter() - started) * 1e6)
    out[name] = statistics.mean(samples)
    print(f"{name:58} {statistics.mean(samples):9.0f} µs  p50 {statistics.median(samples):7.0f}")


async def run(n: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="codev-micro-"))
    env = {"CODEV_DATA_DIR": str(workdir), "CODEV_SECRET_KEY": "micro"}
    migrate(env)
    settings = Settings(data_dir=workdir, secret_key="micro")
    seeds = seed(settings, 1, 8)
    meeting_id = seeds[0].meeting_id
    facilitator, client = seeds[0].people[0].member_id, seeds[0].people[1].member_id
    consultants = [p.member_id for p in seeds[0].people[2:]]
    engine = create_engine(settings)
    log = MeetingLog(engine)
    broker = InProcessBroker()
    published: list[Publication] = []
    await broker.start(published.append)
    await broker.subscribe(meeting_id)
    meetings = MeetingService(log, broker)
    out: dict[str, float] = {}
    gc.collect()
    gc.freeze()

    # Walk to the consultation stage, where contributions are allowed.
    for stage in ("lobby", "presentation", "clarification", "contract"):
        await meetings.execute(meeting_id, facilitator, None, AdvanceStage(expected_stage=stage))
    state = await meetings.load(meeting_id)
    now = datetime.now(UTC)
    text = "Suggestion: " + "have you tried to delegate the budget review " * 3
    contribution = AddContribution(kind="suggestion", text=text)

    # A mid-meeting state: 40 contributions, as a lively consultation stage has.
    for i in range(40):
        who = consultants[i % len(consultants)]
        await meetings.execute(meeting_id, who, uuid.uuid4().hex, contribution)
    state = await meetings.load(meeting_id)
    size = len(state.model_dump_json())
    print(f"one meeting of 8 on SQLite (WAL), state: seq {state.seq}, {size:,} bytes of JSON")
    print(f"{n} calls each; mean and median wall time per call, pinned to one core")
    await timed("parse_client_frame (add_contribution)", n, _parse(text), out)
    ready = SetReady(ready=True)
    await timed(
        "apply(state, set_ready) (pure: decide + fold)",
        n,
        _async(lambda i: apply(state, ready, consultants[0], now)),
        out,
    )
    await timed(
        "  of which the container copy in fold (no events)",
        n,
        _async(lambda i: fold(state, [])),
        out,
    )
    await timed(
        "state.model_dump_json() (a snapshot, every 32 events)",
        n,
        _async(lambda i: state.model_dump_json()),
        out,
    )
    _, events = apply(state, ready, consultants[0], now)
    await timed(
        "to_delivery(event) (serialise once)",
        n,
        _async(lambda i: to_delivery(events[0], state.plan)),
        out,
    )
    await timed(
        "MeetingLog.after_refusal (cid and seq, one SELECT)",
        n,
        lambda i: log.after_refusal(meeting_id, consultants[0], uuid.uuid4().hex),
        out,
    )
    await timed(
        "MeetingLog.load (snapshot + tail; a cold-cache join)",
        n,
        lambda i: log.load(meeting_id),
        out,
    )
    current = [await meetings.load(meeting_id)]

    async def commit(i: int) -> None:
        toggle = SetReady(ready=consultants[0] not in current[0].ready)
        new, evs = apply(current[0], toggle, consultants[0], now)
        deliveries = tuple(to_delivery(e, new.plan) for e in evs)
        kinds = [e.type for e in evs]
        ok = await log.commit(
            new, current[0].seq, deliveries, kinds, consultants[0], uuid.uuid4().hex
        )
        assert ok
        current[0] = new

    await timed("apply + MeetingLog.commit (group commit)", n, commit, out)
    meetings.forget(meeting_id)
    await timed(
        "MeetingService.execute(set_ready, cid) (whole path)",
        n,
        lambda i: meetings.execute(
            meeting_id,
            consultants[i % len(consultants)],
            uuid.uuid4().hex,
            SetReady(ready=bool(i // 6 % 2)),
        ),
        out,
    )
    await _two_processes(log, meeting_id, consultants, n)
    await _concurrent_writers(settings, meetings, seeds_many=seed(settings, 20, 8), n=n)
    state = await meetings.load(meeting_id)
    await timed(
        "the same transaction with sqlite3 directly (lower bound)",
        n,
        _raw_commit(settings, state),
        out,
    )
    await timed(
        "state.view_for(member) (snapshot for hello)",
        n,
        _async(lambda i: state.view_for(client)),
        out,
    )
    await timed(
        "Hello(...).model_dump_json() (snapshot + meeting info)",
        n,
        _async(lambda i: _hello(state, client).model_dump_json()),
        out,
    )
    await engine.dispose()
    return out


async def _concurrent_writers(
    settings: Settings, meetings: MeetingService, seeds_many: list[Any], n: int
) -> None:
    """Writes to 20 different meetings, one at a time, then 20 at once: SQLite has one writer,
    and a pooled connection that finds the database locked sleeps in SQLite's busy handler."""
    for m in seeds_many:
        await meetings.execute(
            m.meeting_id, m.people[0].member_id, None, AdvanceStage(expected_stage="lobby")
        )
    flags: dict[tuple[str, str], bool] = {}

    async def one(m: Any, k: int) -> float:
        member = m.people[2 + k % 6].member_id
        flags[m.meeting_id, member] = not flags.get((m.meeting_id, member), False)
        command = SetReady(ready=flags[m.meeting_id, member])
        started = time.perf_counter()
        await meetings.execute(m.meeting_id, member, uuid.uuid4().hex, command)
        return (time.perf_counter() - started) * 1000

    rounds = max(1, n // 20)
    sequential = [await one(m, k) for k in range(rounds) for m in seeds_many]
    started = time.perf_counter()
    concurrent: list[float] = []
    for k in range(rounds):
        concurrent += await asyncio.gather(*(one(m, k) for m in seeds_many))
    elapsed = time.perf_counter() - started
    for name, values in (("one at a time", sequential), ("20 at once", concurrent)):
        values = sorted(values)
        print(
            f"writes to 20 meetings, {name:13}: p50 {values[len(values) // 2]:6.1f} ms, "
            f"p99 {values[int(len(values) * 0.99) - 1]:6.1f} ms, max {values[-1]:6.1f} ms"
        )
    print(f"  20 at once: {len(concurrent) / elapsed:.0f} writes/s")


async def _two_processes(log: MeetingLog, meeting_id: str, members: list[str], n: int) -> None:
    """Two MeetingServices (two server processes) taking turns on one meeting, as scale-out
    does when a meeting's participants sit on both: how often is the first CAS lost?"""
    attempts = {"commit": 0, "lost": 0}
    commit = log.commit

    async def counting(*args: Any, **kwargs: Any) -> bool:
        ok = await commit(*args, **kwargs)
        attempts["commit"] += 1
        attempts["lost"] += not ok
        return ok

    log.commit = counting  # type: ignore[method-assign]
    services = []
    for _ in range(2):
        broker = InProcessBroker()
        await broker.start(lambda publication: None)
        services.append(MeetingService(log, broker))
    state = await log.load(meeting_id)
    assert state is not None
    ready = {m: m in state.ready for m in members}
    for i in range(n):
        member = members[i % len(members)]
        ready[member] = not ready[member]
        command = SetReady(ready=ready[member])
        await services[i % 2].execute(meeting_id, member, uuid.uuid4().hex, command)
    log.commit = commit  # type: ignore[method-assign]
    print(
        f"two processes alternating {n} writes on one meeting: {attempts['commit']} commits "
        f"tried, {attempts['lost']} lost the compare-and-set (stale cached state)"
    )


def _raw_commit(settings: Settings, state: Any) -> Callable[[int], Awaitable[Any]]:
    """UPDATE the state, INSERT an event and a processed command, COMMIT: plain sqlite3."""
    connection = sqlite3.connect(settings.data_dir / "codev.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    text = state.model_dump_json()
    payload = '{"type":"ready_changed","seq":1,"at":"2026-01-01T00:00:00Z","member_id":"x"}'
    seq = [state.seq]

    async def call(i: int) -> None:
        seq[0] += 1
        connection.execute("BEGIN")
        connection.execute(
            "UPDATE meeting SET state = ?, seq = ?, stage = ? WHERE id = ? AND seq = ?",
            (text, seq[0], "consultation", state.meeting_id, seq[0] - 1),
        )
        connection.execute(
            "INSERT INTO meetingevent (meeting_id, seq, type, audience, payload) "
            "VALUES (?, ?, ?, ?, ?)",
            (state.meeting_id, seq[0], "ready_changed", None, payload),
        )
        connection.execute(
            "INSERT INTO processedcommand (meeting_id, actor, cid, seq, at) VALUES (?, ?, ?, ?, ?)",
            (state.meeting_id, "x", uuid.uuid4().hex, seq[0], "2026-01-01 00:00:00"),
        )
        connection.execute("COMMIT")

    return call


def _async(fn: Callable[[int], Any]) -> Callable[[int], Awaitable[Any]]:
    async def call(i: int) -> Any:
        return fn(i)

    return call


def _parse(text: str) -> Callable[[int], Awaitable[Any]]:
    frame = json.dumps({"type": "add_contribution", "cid": "c1", "kind": "idea", "text": text})
    frame = frame.replace('"idea"', '"suggestion"')
    return _async(lambda i: parse_client_frame(frame))


def _hello(state: Any, member: str) -> Hello:
    return Hello(
        you=You(member_id=member, name="Ana"),
        role=state.role_of(member),
        server_time=datetime.now(UTC),
        seq=state.seq,
        resumed=False,
        state=state.view_for(member),
        meeting={"id": state.meeting_id, "title": "t", "video_url": None, "group_id": "g"},
        presence=[],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=300)
    args = parser.parse_args()
    if not os.environ.get("MICRO_NO_PIN"):
        os.sched_setaffinity(0, {0})
    asyncio.run(run(args.n))


if __name__ == "__main__":
    main()
