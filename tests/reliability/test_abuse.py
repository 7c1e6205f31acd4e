"""Hostile or broken clients: huge frames, binary frames, floods, too many sockets. Each is
refused or closed as the README says, and the other participants do not notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import pytest
from websockets.exceptions import ConnectionClosed

from tests.reliability.conftest import Live
from tests.reliability.helpers import Json, Peer, acked, cid

pytestmark = pytest.mark.slow

FRAME_CAP = 64 * 1024
BURST = 40
"""``CODEV_FRAME_BURST`` by default: frames accepted at once."""
FLOOD_CLOSE_AFTER = 100
"""``CODEV_FLOOD_CLOSE_AFTER`` by default: refusals within 10 s before the socket is closed."""


async def _meeting(live: Live, name: str, members: list[str]) -> dict[str, Peer]:
    """A fresh group and meeting on the shared server; peers for the organizer and members."""
    org = live.org
    group = await asyncio.to_thread(org.group, name, members)
    meeting = await asyncio.to_thread(org.meeting, group, client=members[0])
    return await asyncio.to_thread(org.peers, group, meeting, ["Olivia", *members])


async def _still_fine(peer: Peer) -> None:
    """The peer's socket is open and its commands are applied."""
    assert not peer.closed.is_set(), peer.close_code
    acked(await peer.send("add_private_note", text=f"{peer.name} is still fine"))


async def test_an_oversize_frame_closes_the_socket_with_1009(shared: Live) -> None:
    people = await _meeting(shared, "Oversize circle", ["Claire", "Ana"])
    olivia, ana = people["Olivia"], people["Ana"]
    for person in (olivia, ana):
        await person.connect()
    seq = olivia.last_seq
    assert ana.ws is not None
    huge = {"type": "add_private_note", "cid": cid(), "text": "x" * (FRAME_CAP + 1)}
    await ana.ws.send(json.dumps(huge))
    assert await ana.wait_closed() == 1009
    assert not any(m["type"] in ("ack", "error") for m in ana.messages)
    # Nothing was applied, and the others are unaffected.
    await _still_fine(olivia)
    assert olivia.last_seq == seq + 1
    # Just under the cap is a frame like any other (refused here for its field length only).
    await ana.connect()
    under = {"type": "add_private_note", "cid": cid(), "text": "x" * (FRAME_CAP - 1_000)}
    error = await ana.send_raw(under)
    assert error["type"] == "error", error
    assert error["code"] == "invalid_message", error
    await _still_fine(ana)
    for person in (olivia, ana):
        await person.close()


async def test_binary_frames_get_a_typed_error(shared: Live) -> None:
    people = await _meeting(shared, "Binary circle", ["Claire", "Ana"])
    ana = people["Ana"]
    hello = await ana.connect()
    assert ana.ws is not None
    start = len(ana.messages)
    for frame in (
        b'{"type": "ping"}',
        b"\x00\xff\x10",
        json.dumps({"type": "raise_hand"}).encode(),
    ):
        await ana.ws.send(frame)

    def errors() -> list[Json]:
        return [m for m in ana.messages[start:] if m["type"] == "error"]

    await ana.wait_until(lambda: len(errors()) == 3)
    assert [(e["code"], e["cid"]) for e in errors()] == [("invalid_message", None)] * 3
    assert all(e["message"] for e in errors())
    # The socket stays open and nothing was applied.
    await ana.post({"type": "ping", "cid": "after-binary"})
    await ana.wait_for(lambda m: m["type"] == "pong" and m["cid"] == "after-binary")
    await ana.close()
    again = await ana.connect()
    assert again["seq"] == hello["seq"]
    await ana.close()


async def test_a_flood_is_refused_then_closed(shared: Live) -> None:
    people = await _meeting(shared, "Flood circle", ["Claire", "Ana", "Ben"])
    olivia, ana, ben = people["Olivia"], people["Ana"], people["Ben"]
    for person in (olivia, ana, ben):
        await person.connect()
    start = len(ana.messages)
    # Private notes, sent as fast as the socket takes them: whatever gets through changes the
    # meeting, so what was applied can be checked against what was acked and refused.
    cids = [f"flood-{i}" for i in range(BURST + FLOOD_CLOSE_AFTER + 200)]
    with contextlib.suppress(ConnectionClosed):  # the server closes the socket mid-flood
        for c in cids:
            await ana.post({"type": "add_private_note", "cid": c, "text": f"note {c}"})
    assert await ana.wait_closed() == 1008
    answers = [m for m in ana.messages[start:] if m["type"] in ("ack", "error")]
    acks = [m for m in answers if m["type"] == "ack"]
    refusals = [m for m in answers if m["type"] == "error"]
    print(f"\n{len(cids)} sent: {len(acks)} acked, {len(refusals)} refused, then 1008")
    # The burst is served; then come refusals naming the refused command's cid; then the close.
    assert [a["type"] for a in answers[:BURST]] == ["ack"] * BURST
    assert refusals, "no rate_limited error came before the close"
    assert {e["code"] for e in refusals} == {"rate_limited"}
    assert all(e["cid"] in cids for e in refusals)
    # The others were not disturbed.
    await _still_fine(ben)
    await _still_fine(olivia)
    # The flooder may come back with since (as soon as they may send a message again): every
    # acked note is there, no refused one is.
    hello = await _come_back(ana, since=0)
    assert hello["resumed"] is True
    await ana.wait_seq(olivia.last_seq)
    applied = {e["note"]["text"] for e in ana.events if e["type"] == "private_note_added"}
    assert {f"note {a['cid']}" for a in acks} <= applied
    assert applied.isdisjoint(f"note {e['cid']}" for e in refusals)
    for person in (olivia, ana, ben):
        await person.close()


async def _come_back(peer: Peer, since: int) -> Json:
    """Reconnect as a client does after a flood close: again while refused (rate_limited)."""
    for _ in range(50):
        start = len(peer.messages)
        await peer.open(since)
        first = await peer.wait_for(lambda m: m["type"] in ("hello", "error"), start=start)
        if first["type"] == "hello":
            return first
        assert first["code"] == "rate_limited", first
        assert await peer.wait_closed() == 1008
    raise AssertionError(f"{peer.name} was refused 50 times in a row")


async def test_a_member_cannot_open_more_than_five_sockets(shared: Live) -> None:
    people = await _meeting(shared, "Tabs circle", ["Claire", "Ana"])
    olivia, ana = people["Olivia"], people["Ana"]
    await olivia.connect()
    tabs = [
        Peer(ana.server, ana.meeting_id, ana.cookie, ana.member_id, f"Ana {i}") for i in range(6)
    ]
    for tab in tabs[:5]:
        await tab.connect()
    await olivia.wait_for(
        lambda m: (
            m["type"] == "presence"
            and {"member_id": ana.member_id, "connections": 5} in m["online"]
        )
    )
    sixth = tabs[5]
    await sixth.open()
    error = await sixth.wait_for(lambda m: m["type"] == "error")
    assert error["code"] == "too_many_connections", error
    assert await sixth.wait_closed() == 1008
    assert not any(m["type"] == "hello" for m in sixth.messages)
    # The five are untouched; when one closes, a new one may open.
    for tab in tabs[:5]:
        await _still_fine(tab)
    await tabs[0].close()
    replacement = Peer(ana.server, ana.meeting_id, ana.cookie, ana.member_id, "Ana again")
    assert (await replacement.connect())["type"] == "hello"
    for tab in [*tabs[1:5], replacement, olivia]:
        await tab.close()


# --- the limits belong to the member, not to the socket ----------------------------------------

RATE = 10
"""``CODEV_FRAMES_PER_SECOND`` by default."""


def _pings(peer: Peer, tag: str, n: int) -> list[str]:
    return [f"{tag}-{peer.name}-{i}" for i in range(n)]


def _answers(peer: Peer, cids: list[str]) -> list[Json]:
    wanted = set(cids)
    return [m for m in peer.messages if m["type"] in ("pong", "error") and m.get("cid") in wanted]


async def _send_all(peer: Peer, cids: list[str]) -> None:
    """Send pings as fast as the socket takes them; wait for each answer or the socket's close."""
    with contextlib.suppress(ConnectionClosed):
        for c in cids:
            await peer.post({"type": "ping", "cid": c})
    with contextlib.suppress(ConnectionError):
        await peer.wait_until(
            lambda: len(_answers(peer, cids)) == len(cids) or peer.closed.is_set()
        )


def _allowance(elapsed: float) -> float:
    """The most messages a member may have served in ``elapsed`` seconds from a full bucket."""
    return BURST + RATE * elapsed + 1


async def test_reconnecting_does_not_refill_a_members_message_allowance(shared: Live) -> None:
    people = await _meeting(shared, "Reconnect flood circle", ["Claire", "Ana"])
    ana = people["Ana"]
    served = 0
    start = time.monotonic()
    for round_ in range(4):  # a fresh socket each time, each sending a whole burst
        await ana.open()
        cids = _pings(ana, f"round{round_}", BURST)
        await _send_all(ana, cids)
        served += sum(1 for m in _answers(ana, cids) if m["type"] == "pong")
        refusals = [m for m in _answers(ana, cids) if m["type"] == "error"]
        assert {m["code"] for m in refusals} <= {"rate_limited"}, refusals
        await ana.close()
    elapsed = time.monotonic() - start
    print(f"\n{4 * BURST} sent over 4 sockets in {elapsed:.1f} s: {served} served")
    assert served <= _allowance(elapsed), (served, elapsed)


async def test_parallel_sockets_share_one_members_message_allowance(shared: Live) -> None:
    people = await _meeting(shared, "Parallel flood circle", ["Claire", "Ana"])
    ana = people["Ana"]
    tabs = [
        Peer(ana.server, ana.meeting_id, ana.cookie, ana.member_id, f"Ana {i}") for i in range(4)
    ]
    for tab in tabs:
        await tab.open()
    start = time.monotonic()
    batches = [_pings(tab, "tab", BURST) for tab in tabs]
    await asyncio.gather(*(_send_all(tab, cids) for tab, cids in zip(tabs, batches, strict=True)))
    elapsed = time.monotonic() - start
    served = sum(
        1
        for tab, cids in zip(tabs, batches, strict=True)
        for m in _answers(tab, cids)
        if m["type"] == "pong"
    )
    print(f"\n{4 * BURST} sent over 4 parallel sockets in {elapsed:.1f} s: {served} served")
    assert served <= _allowance(elapsed), (served, elapsed)
    for tab in tabs:
        await tab.close()


async def test_a_steady_flood_just_above_the_rate_is_closed(shared: Live) -> None:
    people = await _meeting(shared, "Steady flood circle", ["Claire", "Ana", "Ben"])
    ana, ben = people["Ana"], people["Ben"]
    await ben.connect()
    await ana.connect()
    # 50 a second: a token comes back every tenth of a second, so refusals never run 100 in a
    # row; they are 40 a second, which is a flood all the same.
    with contextlib.suppress(ConnectionClosed):
        for i in range(1_000):
            if ana.closed.is_set():
                break
            await ana.post({"type": "ping", "cid": f"steady-{i}"})
            await asyncio.sleep(1 / 50)
    assert await ana.wait_closed() == 1008
    assert any(m["type"] == "error" and m["code"] == "rate_limited" for m in ana.messages)
    await _still_fine(ben)
    await ben.close()


async def test_a_member_who_floods_and_reconnects_is_refused_at_the_handshake(
    shared: Live,
) -> None:
    people = await _meeting(shared, "Reconnect refusal circle", ["Claire", "Ana", "Ben"])
    ana, ben = people["Ana"], people["Ben"]
    await ben.connect()
    refused: Json | None = None
    for round_ in range(30):  # reconnect at once, each time with a whole burst
        start = len(ana.messages)
        await ana.open()
        first = await ana.wait_for(lambda m: m["type"] in ("hello", "error"), start=start)
        if first["type"] == "error":
            refused = first
            break
        await _send_all(ana, _pings(ana, f"again{round_}", BURST))
        await ana.close()
    assert refused is not None, "a flooding member was let in again and again"
    assert refused["code"] == "rate_limited", refused
    assert await ana.wait_closed() == 1008
    await _still_fine(ben)
    await ben.close()
