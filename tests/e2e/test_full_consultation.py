"""A whole consultation over real WebSockets against a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from tests.live import LiveServer
from tests.support import Participant, bootstrap_organizer, session_cookie_for_invite

pytestmark = pytest.mark.slow


def _schedule(server: LiveServer) -> tuple[str, dict[str, Participant]]:
    """An organizer (who facilitates), a group of four members, and a meeting with openers."""
    org = bootstrap_organizer(server)
    group = org.post("/api/groups", json={"name": "Managers' circle"}).json()
    me = org.get("/api/me").json()
    members = {}
    for name in ("Claire", "Sam", "Ana", "Ben"):
        member = org.post(f"/api/groups/{group['id']}/members", json={"name": name}).json()
        members[name] = member
    facilitator_id = next(
        m["id"] for m in org.get(f"/api/groups/{group['id']}/members").json() if m["is_facilitator"]
    )
    meeting = org.post(
        f"/api/groups/{group['id']}/meetings",
        json={
            "title": "November meeting",
            "facilitator_id": facilitator_id,
            "openers": ["check_in", "client_choice"],
            "consultations": [{"scribe_id": members["Sam"]["id"], "preset": "90"}],
        },
    )
    assert meeting.status_code == 201, meeting.text
    meeting_id = meeting.json()["id"]
    assert me["organizer"]["name"] == "Olivia Organizer"

    people = {
        "Olivia": Participant(
            "Olivia", facilitator_id, org.cookies["codev_session"], server, meeting_id
        )
    }
    for name, member in members.items():
        invite = org.post(f"/api/members/{member['id']}/invite").json()
        cookie = session_cookie_for_invite(server, invite["url"])
        people[name] = Participant(name, member["id"], cookie, server, meeting_id)
    org.close()
    return meeting_id, people


def _ok(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["type"] == "ack", answer
    return answer


def _refused(answer: dict[str, Any], code: str) -> None:
    assert answer["type"] == "error", answer
    assert answer["code"] == code, answer


async def test_five_participants_walk_a_whole_consultation_and_see_the_same_events(
    server: LiveServer,
) -> None:
    _meeting_id, people = await asyncio.to_thread(_schedule, server)
    olivia, claire, sam, ana, ben = (people[n] for n in ("Olivia", "Claire", "Sam", "Ana", "Ben"))
    everyone = [olivia, claire, sam, ana, ben]
    for person in everyone:
        hello = await person.connect()
        assert hello["state"]["stage"] == "lobby"
    assert await claire.wait_for(lambda m: m["type"] == "presence" and len(m["online"]) == 5)

    async def advance(expected: str) -> int:
        return int(_ok(await olivia.send("advance_stage", expected_stage=expected))["seq"])

    # Openers: check-in, then the choice of client.
    await advance("lobby")
    _ok(await ana.send("set_ready"))
    _ok(await ana.send("raise_hand"))
    _ok(await olivia.send("call_on", member_id=ana.member_id))
    await advance("check_in")
    _ok(await ben.send("propose_topic", headline="Leading a team I used to be part of"))
    _refused(await olivia.send("advance_stage", expected_stage="client_choice"), "invalid")
    _ok(await olivia.send("choose_client", member_id=claire.member_id))

    # 1 Presentation: the client speaks, consultants only listen (and may take private notes).
    await advance("client_choice")
    _ok(
        await claire.send(
            "set_case",
            headline="Leading former peers",
            topic_type="problem",
            question="How can I set expectations without losing their trust?",
        )
    )
    _refused(await ana.send("ask_question", text="Too early?"), "wrong_stage")
    _ok(await ben.send("add_private_note", text="she sounds tired"))

    # 2 Clarification; Ben's connection drops half-way.
    await advance("presentation")
    asked = _ok(await ana.send("ask_question", text="How long have you led them?"))
    _ok(await claire.send("answer_question", question_id=asked["seq"], text="Three months."))
    await ben.wait_seq(asked["seq"] + 1)
    ben_seq_when_leaving = ben.last_seq
    await ben.close()
    _ok(await sam.send("ask_question", text="Who chose you for the role?"))
    _ok(await olivia.send("pause_timer"))
    _ok(await olivia.send("extend_timer", seconds=300))
    _ok(await olivia.send("resume_timer"))

    # A double click on "next" fails cleanly the second time.
    moved = await olivia.send("advance_stage", expected_stage="clarification")
    _refused(await olivia.send("advance_stage", expected_stage="clarification"), "stage_mismatch")

    # 3 Contract, 4 consultation, back to the contract, and on again.
    assert moved["type"] == "ack"
    _ok(
        await claire.send(
            "set_contract", text="Help me to set expectations.", help_wanted=["ideas"]
        )
    )
    _ok(await sam.send("rephrase_contract", text="You want ways to set expectations kindly."))
    await advance("contract")
    contribution = _ok(
        await ana.send("add_contribution", kind="suggestion", text="Hold one-to-ones first.")
    )
    retried = await ana.send_raw(
        {
            "type": "mark_contribution",
            "cid": "mark-1",
            "contribution_id": contribution["seq"],
            "mark": "keep",
        }
    )
    _refused(retried, "forbidden")
    _ok(await claire.send("mark_contribution", contribution_id=contribution["seq"], mark="keep"))
    _ok(await sam.send("add_scribe_note", text="One-to-ones; shared team charter."))
    _ok(await olivia.send("return_to_stage", expected_stage="consultation", stage="contract"))
    _ok(await claire.send("set_contract", text="Help me to set expectations and keep trust."))
    await advance("contract")

    # Ben comes back in stage 4 and resumes from where he was.
    resumed = await ben.connect(since=ben_seq_when_leaving)
    assert resumed["resumed"] is True
    assert resumed["state"] is None
    _ok(await ben.send("add_contribution", kind="experience", text="I went through the same."))

    # 5 Synthesis and action plan, 6 conclusion, end.
    await advance("consultation")
    _ok(await claire.send("set_synthesis", text="I keep the one-to-ones."))
    _ok(
        await claire.send(
            "save_action_item",
            action="One-to-one with each person",
            due="2026-12-15",
            indicator="six meetings held",
        )
    )
    _refused(await ana.send("set_synthesis", text="not mine"), "forbidden")
    await advance("synthesis")
    for person in (claire, sam, ana, ben, olivia):
        _ok(await person.send("post_learning", text=f"{person.name} learned something"))
    _ok(await ana.send("submit_evaluation", appreciation="useful", ratings={"climate": 5}))
    final = await advance("conclusion")

    for person in everyone:
        await person.wait_seq(final)
    # Every participant received every event, in the same order, with gap-free seq; the private
    # note reached its author and the client's mark the client and the facilitator: each stood
    # as "redacted" in everyone else's stream.
    public = [(e["seq"], e["type"]) for e in olivia.events]
    assert [seq for seq, _ in public] == list(range(1, final + 1))
    note = next(e["seq"] for e in ben.events if e["type"] == "private_note_added")
    assert [e["type"] for e in olivia.events if e["seq"] == note] == ["redacted"]
    mark = next(e["seq"] for e in olivia.events if e["type"] == "contribution_marked")
    for person in everyone:
        shown = {
            note: "private_note_added" if person is ben else "redacted",
            mark: "contribution_marked" if person in (claire, olivia) else "redacted",
        }
        expected = [(seq, shown.get(seq, kind)) for seq, kind in public]
        assert [(e["seq"], e["type"]) for e in person.events] == expected, person.name
    # The participant who resumed has exactly what the others have, byte for byte.
    assert [e for e in ben.events if e["seq"] != note] == [
        e for e in ana.events if e["seq"] != note
    ]

    # A late joiner's snapshot: the client's holds all of the record (their marks too), a
    # consultant's only their own part now that the consultation is over; Ben's note stays his.
    latecomer = Participant("Claire again", claire.member_id, claire.cookie, server, ana.meeting_id)
    late = await latecomer.connect()
    await latecomer.close()
    state = late["state"]
    record = state["consultations"][0]
    assert state["stage"] == "ended"
    assert record["case"]["headline"] == "Leading former peers"
    assert [q["answer"] for q in record["questions"]] == ["Three months.", None]
    assert [v["version"] for v in record["contract"]] == [1, 2]
    assert [c["mark"] for c in record["contributions"]] == ["keep", None]
    assert record["action_items"][0]["indicator"] == "six meetings held"
    assert len(record["learnings"]) == 5
    assert state["private_notes"] == []
    latecomer = Participant("Ana again", ana.member_id, ana.cookie, server, ana.meeting_id)
    late = await latecomer.connect()
    await latecomer.close()
    record = late["state"]["consultations"][0]
    assert record["case"] is None
    assert [(c["text"], c["mark"]) for c in record["contributions"]] == [
        ("Hold one-to-ones first.", None)
    ]
    assert list(record["learnings"]) == [ana.member_id]
    assert late["state"]["private_notes"] == []
    for person in everyone:
        await person.close()


async def test_a_retried_command_is_applied_once(server: LiveServer) -> None:
    _meeting_id, people = await asyncio.to_thread(_schedule, server)
    olivia = people["Olivia"]
    await olivia.connect()
    first = await olivia.send_raw(
        {"type": "advance_stage", "cid": "c-1", "expected_stage": "lobby"}
    )
    again = await olivia.send_raw(
        {"type": "advance_stage", "cid": "c-1", "expected_stage": "lobby"}
    )
    assert first["type"] == again["type"] == "ack"
    assert again["seq"] == first["seq"]
    assert again["duplicate"] is True
    await olivia.close()
    hello = await olivia.connect()
    assert hello["seq"] == first["seq"]
    await olivia.close()


async def test_invalid_frames_get_typed_errors_and_change_nothing(server: LiveServer) -> None:
    _meeting_id, people = await asyncio.to_thread(_schedule, server)
    ana = people["Ana"]
    hello = await ana.connect()
    assert ana.ws is not None
    for frame, code in [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_message"),
        ('{"type": "launch_rockets", "cid": "x"}', "unknown_type"),
        ('{"type": "raise_hand"}', "missing_cid"),
        ('{"type": "ask_question", "cid": "q", "text": ""}', "invalid_message"),
    ]:
        await ana.ws.send(frame)
        error = await ana.wait_for(lambda m, code=code: m["type"] == "error" and m["code"] == code)
        assert error["message"]
    await ana.close()
    again = await ana.connect()
    assert again["seq"] == hello["seq"]
    await ana.close()


async def test_a_stranger_cannot_open_the_meeting_socket(server: LiveServer) -> None:
    meeting_id, _people = await asyncio.to_thread(_schedule, server)
    url = f"{server.ws_url}/ws/meetings/{meeting_id}"
    headers = {"Cookie": "codev_session=not-a-session"}
    async with connect(url, additional_headers=headers) as ws:
        error = json.loads(await ws.recv())
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert error["code"] == "not_authenticated"
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{server.url}/api/meetings/{meeting_id}")).status_code == 401


async def test_a_page_from_another_site_cannot_open_the_meeting_socket(server: LiveServer) -> None:
    meeting_id, people = await asyncio.to_thread(_schedule, server)
    url = f"{server.ws_url}/ws/meetings/{meeting_id}"
    headers = {"Cookie": f"codev_session={people['Ana'].cookie}"}
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, additional_headers=headers, origin=Origin("https://evil.example"))
    assert refused.value.response.status_code == 403
