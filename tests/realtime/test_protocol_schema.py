"""The published protocol (``/api/protocol.json``) matches the code: it lists every command and
event, and the frames of a real meeting, sent and received, validate against it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import jsonschema
import pytest

from app.api.protocol import protocol_schema
from app.stages import COMMAND_TYPES
from app.stages.events import Event
from tests.e2e.test_full_consultation import _schedule
from tests.live import LiveServer

Json = dict[str, Any]


def _against(name: str) -> jsonschema.Draft202012Validator:
    schema = protocol_schema()
    root = {k: v for k, v in schema.items() if k != "oneOf"}
    return jsonschema.Draft202012Validator({**root, "$ref": f"#/$defs/{name}"})


def test_the_published_schema_lists_every_command_and_every_event() -> None:
    defs = protocol_schema()["$defs"]
    commands = set(defs["Command"]["discriminator"]["mapping"])
    assert commands == set(COMMAND_TYPES)
    events = {member.model_fields["type"].default for member in Event.__args__[0].__args__}  # type: ignore[attr-defined]
    assert set(defs["Event"]["discriminator"]["mapping"]) == events
    for ref in defs["Command"]["discriminator"]["mapping"].values():
        assert "cid" in defs[ref.rsplit("/", 1)[-1]]["required"]
    jsonschema.Draft202012Validator.check_schema(protocol_schema())


def test_a_frame_the_server_would_refuse_does_not_validate() -> None:
    client = _against("ClientMessage")
    assert client.is_valid({"type": "extend_timer", "cid": "c1", "seconds": 60})
    for wrong in (
        {"type": "extend_timer", "seconds": 60},  # no cid
        {"type": "extend_timer", "cid": "c1", "seconds": 0},
        {"type": "set_contract", "cid": "c1", "text": "Help", "help_wanted": "ideas"},
        {"type": "dance", "cid": "c1"},
    ):
        assert not client.is_valid(wrong), wrong


@pytest.mark.slow
async def test_the_frames_of_a_real_meeting_validate_against_the_served_schema(
    server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        served = await http.get("/api/protocol.json")
    assert served.status_code == 200
    assert served.json() == protocol_schema()
    client_frames = _against("ClientMessage")
    server_frames = _against("ServerMessage")
    _meeting_id, people = await asyncio.to_thread(_schedule, server)
    olivia, claire, sam, ana, ben = (people[n] for n in ("Olivia", "Claire", "Sam", "Ana", "Ben"))
    everyone = [olivia, claire, sam, ana, ben]
    for person in everyone:
        await person.connect()
    sent: list[Json] = []

    async def say(person: Any, type_: str, **fields: Any) -> Json:
        frame = {"type": type_, "cid": f"{person.name}-{len(sent)}", **fields}
        sent.append(frame)
        answer: Json = await person.send_raw(frame)
        return answer

    async def advance(expected: str) -> None:
        await say(olivia, "advance_stage", expected_stage=expected)

    await advance("lobby")
    await say(ana, "set_ready")
    await advance("check_in")
    await say(ben, "propose_topic", headline="Leading former peers", topic_type="problem")
    await say(olivia, "choose_client", member_id=claire.member_id)
    await advance("client_choice")
    await say(claire, "set_case", headline="Leading former peers", topic_type="problem")
    await say(ben, "add_private_note", text="a note")
    await say(ana, "ask_question", text="too early")  # refused: an error frame
    await advance("presentation")
    asked = await say(ana, "ask_question", text="How long?")
    await say(claire, "answer_question", question_id=asked["seq"], text="Three months.")
    await say(olivia, "pause_timer")
    await say(olivia, "extend_timer", seconds=120)
    await say(olivia, "resume_timer")
    await advance("clarification")
    await say(claire, "set_contract", text="Help me.", help_wanted=["ideas", "experiences"])
    await say(sam, "rephrase_contract", text="You want help.")
    await advance("contract")
    added = await say(ana, "add_contribution", kind="suggestion", text="One-to-ones.")
    await say(claire, "mark_contribution", contribution_id=added["seq"], mark="keep")
    await say(claire, "signal", signal="please_clarify")
    await say(sam, "add_scribe_note", text="noted")
    await say(ben, "raise_hand")
    await say(olivia, "call_on", member_id=ben.member_id)
    await say(olivia, "clear_queue")
    await advance("consultation")
    await say(claire, "set_synthesis", text="I keep the one-to-ones.")
    await say(
        claire,
        "save_action_item",
        action="One-to-ones",
        due="2030-01-15",
        follow_up="2030-02-01",
        indicator="six held",
    )
    await advance("synthesis")
    await say(ana, "post_learning", text="listening")
    await say(ana, "submit_evaluation", appreciation="useful", ratings={"climate": 5})
    sent.append({"type": "ping", "cid": "p1", "client_time": 1.5})
    assert ana.ws is not None
    await ana.ws.send('{"type": "ping", "cid": "p1", "client_time": 1.5}')
    await ana.wait_for(lambda m: m["type"] == "pong")
    sent.append({"type": "resync", "since": 0})
    await ana.ws.send('{"type": "resync", "since": 0}')
    await advance("conclusion")
    ended = await olivia.wait_for(lambda m: m["type"] == "stage_changed" and m["stage"] == "ended")
    for person in everyone:
        await person.wait_seq(ended["seq"])
    # A late hello carries the whole snapshot: the client's, whose record it is.
    await claire.close()
    snapshot = await claire.connect()
    assert snapshot["state"]["consultations"][0]["action_items"]

    for frame in sent:
        errors = [e.message for e in client_frames.iter_errors(frame)]
        assert errors == [], frame
    received = [m for person in everyone for m in person.received]
    kinds = {m["type"] for m in received}
    assert {"hello", "ack", "error", "pong", "presence", "redacted", "private_note_added"} <= kinds
    for message in received:
        errors = [e.message for e in server_frames.iter_errors(message)]
        assert errors == [], message
    for person in everyone:
        await person.close()
