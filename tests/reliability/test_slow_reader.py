"""A participant who stops reading must not slow anyone else down, and must be let go."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from tests.live import LiveServer, live_server
from tests.reliability.helpers import WITHIN, Json, Organizer, Peer, acked, advance

pytestmark = pytest.mark.slow

QUEUE = 16
LATENCY_BOUND = 2.0
"""Seconds from a send to the last healthy receiver: generous, for a loaded 2-core CI machine."""
CONTEXT = "c" * 7_990
QUESTION = "q" * 1_990
EVENT_BYTES = 10_000
"""About what one case update weighs on the wire."""


def _max_events() -> int:
    """Enough case updates to overflow the stalled socket twice over, whatever the kernel buffers:
    the server's send buffer grows to ``tcp_wmem`` max (4 MiB here); the stalled client's receive
    buffer stays at ``tcp_rmem`` default, since it never reads."""
    try:
        sent = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
        received = int(Path("/proc/sys/net/ipv4/tcp_rmem").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        sent, received = 4 * 1024 * 1024, 128 * 1024
    return 2 * (sent + received) // EVENT_BYTES + QUEUE + 100


LET_GO_WITHIN = 10.0
"""After the overflow, how long the server may take to drop the stalled socket."""


async def test_a_stalled_reader_does_not_delay_the_others_and_is_disconnected(
    tmp_path: Path,
) -> None:
    with live_server(
        tmp_path / "data",
        CODEV_SOCKET_QUEUE_SIZE=str(QUEUE),
        # Enough messages per second to fill a socket buffer quickly: not a rate-limit test.
        CODEV_FRAMES_PER_SECOND="1000",
        CODEV_FRAME_BURST="1000",
        # Keepalive far beyond the test: only the queue overflow may let the stalled socket go.
        CODEV_WS_PING_INTERVAL="120",
        CODEV_WS_PING_TIMEOUT="120",
    ) as server:
        org = await asyncio.to_thread(Organizer.bootstrap, server)
        group = await asyncio.to_thread(org.group, "Slow circle", ["Claire", "Ana", "Ben"])
        meeting = await asyncio.to_thread(org.meeting, group, client="Claire")
        people = await asyncio.to_thread(org.peers, group, meeting, ["Olivia", "Claire", "Ana"])
        ben = Peer(server, meeting, None, group.members["Ben"], "Ben")
        ben.cookie = await asyncio.to_thread(org.member_cookie, ben.member_id)
        org.close()
        healthy = list(people.values())
        for person in healthy:
            await person.connect()
        await advance(people["Olivia"], "lobby")

        # Ben connects and never reads again: websockets stops reading the socket as soon as
        # a frame is waiting, and nothing ever calls recv.
        stalled = await connect(
            ben.url(),
            additional_headers={"Cookie": f"codev_session={ben.cookie}"},
            origin=Origin(server.url),
            max_queue=1,
            ping_interval=None,
        )
        try:
            await _stream_past_a_stalled_reader(server, people, ben, stalled)
        finally:
            stalled.transport.abort()
            for person in healthy:
                await person.close()


async def _stream_past_a_stalled_reader(
    server: LiveServer, people: dict[str, Peer], ben: Peer, stalled: ClientConnection
) -> None:
    olivia, claire, ana = people["Olivia"], people["Claire"], people["Ana"]
    healthy = [olivia, claire, ana]

    def online(message: Json) -> set[str]:
        return {p["member_id"] for p in message["online"]}

    def ben_left(message: Json) -> bool:
        return message["type"] == "presence" and ben.member_id not in online(message)

    here = await olivia.wait_for(lambda m: m["type"] == "presence" and ben.member_id in online(m))
    mark = next(i for i, m in enumerate(olivia.messages) if m is here) + 1
    let_go = asyncio.Event()
    olivia.listeners.append(lambda m: let_go.set() if ben_left(m) else None)

    # The stream: large case updates from the client, a timer extension from the facilitator
    # now and then; each event timed from its send to its arrival at the last healthy receiver.
    latencies: list[float] = []
    for i in range(_max_events()):
        sent = time.monotonic()
        if i % 10 == 9:
            answer = await olivia.send("extend_timer", seconds=1)
        else:
            answer = await claire.send(
                "set_case",
                headline=f"Version {i}",
                topic_type="problem",
                context=CONTEXT,
                question=QUESTION,
            )
        seq = acked(answer)["seq"]
        for person in healthy:
            await person.wait_seq(seq)
        latencies.append(max(person.arrivals[seq] for person in healthy) - sent)
        if let_go.is_set():
            break
    last = olivia.last_seq
    p50, worst = statistics.median(latencies), max(latencies)
    print(
        f"\n{len(latencies)} events (~{len(latencies) * 10} kB each way) to 3 healthy receivers "
        f"past a stalled one: p50 {p50 * 1000:.1f} ms, max {worst * 1000:.1f} ms"
    )
    assert worst < LATENCY_BOUND, (p50, worst)

    # The server lets the stalled socket go (the others see it leave) while it is still stalled,
    # rather than keeping a socket it can no longer write to.
    await olivia.wait_for(ben_left, within=LET_GO_WITHIN, start=mark)

    # When Ben reads again, what was buffered arrives, then the socket turns out to be closed.
    received: list[Json] = []
    try:
        async with asyncio.timeout(3 * WITHIN):
            while True:
                received.append(json.loads(await stalled.recv()))
    except ConnectionClosed:
        pass
    except TimeoutError:
        raise AssertionError("the stalled socket, read again, was never closed") from None
    print(f"the stalled socket got {len(received)} messages, then close code {stalled.close_code}")

    # Reconnecting with since, Ben catches up with exactly the events the others have.
    hello = received[0]
    assert hello["type"] == "hello"
    before = [m for m in received if m["type"] not in ("hello", "presence")]
    since = max([hello["seq"], *(m["seq"] for m in before)])
    await ben.connect(since=since)
    if last > since:
        await ben.wait_seq(last)
    mine = before + ben.events
    assert [e["seq"] for e in mine] == list(range(hello["seq"] + 1, last + 1))
    assert mine == [e for e in ana.events if e["seq"] > hello["seq"]]
    await ben.close()
