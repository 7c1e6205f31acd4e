"""Hostile or broken clients: huge frames, binary frames, floods, too many sockets. Each is
refused or closed as the README says, and the other participants do not notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.reliability.conftest import Live
from tests.reliability.helpers import Json, Peer, acked, cid

pytestmark = pytest.mark.slow

FRAME_CAP = 64 * 1024
BURST = 40
"""``CODEV_FRAME_BURST`` by default: frames accepted at once."""
FLOOD_CLOSE_AFTER = 100
"""``CODEV_FLOOD_CLOSE_AFTER`` by default: refusals in a row before the socket is closed."""


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
    # The flooder may come back with since: every acked note is there, no refused one is.
    hello = await ana.connect(since=0)
    assert hello["resumed"] is True
    await ana.wait_seq(olivia.last_seq)
    applied = {e["note"]["text"] for e in ana.events if e["type"] == "private_note_added"}
    assert {f"note {a['cid']}" for a in acks} <= applied
    assert applied.isdisjoint(f"note {e['cid']}" for e in refusals)
    for person in (olivia, ana, ben):
        await person.close()


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
