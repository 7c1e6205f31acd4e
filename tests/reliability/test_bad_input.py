"""Every bad input gets a clear, typed error, never a crash, a 500 or a traceback in the log."""

from __future__ import annotations

import asyncio

import pytest

from tests.reliability.conftest import Live
from tests.reliability.helpers import Peer, acked, refused

pytestmark = pytest.mark.slow


def logged_since(live: Live, start: int) -> str:
    return "".join(live.server.output[start:])


async def a_meeting(shared: Live, name: str) -> dict[str, Peer]:
    group = await asyncio.to_thread(shared.org.group, name, ["Claire", "Ana"])
    meeting_id = await asyncio.to_thread(shared.org.meeting, group, client="Claire")
    people = shared.org.peers(group, meeting_id, ["Olivia", "Claire", "Ana"])
    for peer in people.values():
        await peer.connect()
    return people


@pytest.mark.parametrize(
    "frame",
    [
        '{"type": "raise_hand", "cid": "\\ud800"}',
        '{"type": "ping", "cid": "a\\udfffb"}',
        '{"type": "resync", "cid": "\\ud800", "since": 0}',
        '{"type": "no_such_type", "cid": "\\udc00"}',
        '{"type": "extend_timer", "cid": "\\ud800", "seconds": "60"}',
    ],
)
async def test_a_cid_holding_a_lone_surrogate_is_refused_and_the_socket_stays(
    shared: Live, frame: str
) -> None:
    ana = (await a_meeting(shared, "Surrogates"))["Ana"]
    start = len(shared.server.output)
    assert ana.ws is not None
    at = len(ana.messages)
    await ana.ws.send(frame)  # valid JSON: a \\ud800 escape, not an invalid UTF-8 byte
    error = await ana.wait_for(lambda m: m["type"] == "error", start=at)
    assert error == {
        "type": "error",
        "cid": None,
        "code": "invalid_message",
        "message": "cid must be a string of 1 to 64 characters, with no lone surrogate",
    }
    acked(await ana.send("add_private_note", text="still here"))  # the same socket goes on
    assert "Traceback" not in logged_since(shared, start)


@pytest.mark.parametrize("seconds", ["60", True, 1.0, None, [60], {"s": 60}])
async def test_a_field_of_the_wrong_type_is_refused_not_coerced(
    shared: Live, seconds: object
) -> None:
    olivia = (await a_meeting(shared, "Strict types"))["Olivia"]
    acked(await olivia.send("advance_stage", expected_stage="lobby"))
    answer = refused(await olivia.send("extend_timer", seconds=seconds), "invalid_message")
    assert answer["message"].startswith("seconds: input should be a valid integer")
    acked(await olivia.send("extend_timer", seconds=60))
    assert [e["type"] for e in olivia.events].count("timer_changed") == 1  # the valid one only


async def test_other_fields_of_the_wrong_type_are_refused_too(shared: Live) -> None:
    people = await a_meeting(shared, "Strict fields")
    olivia, claire, ana = people["Olivia"], people["Claire"], people["Ana"]
    refused(await olivia.send("advance_stage", expected_stage=["lobby"]), "invalid_message")
    acked(await olivia.send("advance_stage", expected_stage="lobby"))
    refused(await ana.send("set_ready", ready="true"), "invalid_message")
    refused(await ana.send("set_ready", ready=1), "invalid_message")
    refused(await claire.send("set_case", headline=42, topic_type="problem"), "invalid_message")
    refused(await olivia.send("call_on", member_id=7), "invalid_message")
    # The documented forms still work: enums as their values, dates as ISO strings, lists.
    acked(await ana.send("set_ready", ready=True))
    acked(await claire.send("set_case", headline="Leading former peers", topic_type="problem"))


async def test_text_frames_that_are_not_utf8_close_their_sockets_and_log_one_line_at_most(
    shared: Live,
) -> None:
    people = await a_meeting(shared, "Not UTF-8")
    start = len(shared.server.output)
    for _ in range(20):
        peer = Peer(shared.server, people["Ana"].meeting_id, people["Ana"].cookie, name="Ana")
        await peer.connect()
        assert peer.ws is not None
        await peer.ws.send(b"\xff\xfe not utf-8", text=True)
        assert await peer.wait_closed() == 1007
    # The other sockets carry on, and the log got one line, no traceback.
    acked(await people["Ana"].send("add_private_note", text="still here"))
    logged = logged_since(shared, start)
    assert "Traceback" not in logged
    assert len([line for line in logged.splitlines() if "UTF-8" in line]) <= 1


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_meeting_time_beyond_the_calendar_in_utc_is_refused_with_422(
    shared: Live, moment: str
) -> None:
    org = shared.org
    group = org.group("Far future", ["Claire", "Ana"])
    scheduled = org.http.post(
        f"/api/groups/{group.id}/meetings",
        json={
            "title": "Out of range",
            "facilitator_id": group.facilitator_id,
            "scheduled_for": moment,
            "consultations": [{"client_id": group.members["Claire"]}],
        },
    )
    assert scheduled.status_code == 422, scheduled.text
    error = scheduled.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"].startswith("scheduled_for: the moment must be between years 1 and 9999")
    meeting_id = org.meeting(group, client="Claire")
    moved = org.http.patch(f"/api/meetings/{meeting_id}", json={"scheduled_for": moment})
    assert moved.status_code == 422, moved.text
    assert moved.json()["error"]["code"] == "invalid"
    assert org.http.get(f"/api/meetings/{meeting_id}").json()["scheduled_for"] is None
