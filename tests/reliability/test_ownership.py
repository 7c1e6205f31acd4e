"""The client owns their case, over the real socket and the export: the keep / maybe marks reach
only the client and the facilitator, and once the consultation is over a consultant keeps only
their own part of the record unless the client shares it with the group."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.reliability.conftest import Live
from tests.reliability.helpers import Json, Peer, acked, advance, cid

pytestmark = pytest.mark.slow

SIX = ("presentation", "clarification", "contract", "consultation", "synthesis", "conclusion")


async def _cast(shared: Live, title: str) -> dict[str, Peer]:
    """Olivia facilitates, Claire is the client, Ana and Ben consult; all connected."""
    org = shared.org
    group = await asyncio.to_thread(org.group, title, ["Claire", "Ana", "Ben"])
    meeting = await asyncio.to_thread(org.meeting, group, client="Claire", title=title)
    people = await asyncio.to_thread(org.peers, group, meeting, ["Olivia", "Claire", "Ana", "Ben"])
    for person in people.values():
        await person.connect()
    return people


async def _export(shared: Live, peer: Peer) -> str:
    async with httpx.AsyncClient(base_url=shared.server.url) as client:
        client.cookies.set("codev_session", str(peer.cookie))
        response = await client.get(f"/api/meetings/{peer.meeting_id}/export")
    assert response.status_code == 200, response.text
    return response.text


async def _fresh(peer: Peer, since: int | None = None) -> Json:
    """A second socket of the same person: its hello."""
    other = Peer(peer.server, peer.meeting_id, peer.cookie, peer.member_id, f"{peer.name} again")
    hello = await other.connect(since=since)
    await other.close()
    return hello


def _texts(frames: list[tuple[float, str]], secrets: list[str]) -> list[str]:
    return [s for s in secrets if any(s in text for _at, text in frames)]


async def test_a_consultants_socket_never_receives_the_clients_marks(shared: Live) -> None:
    people = await _cast(shared, "Marks circle")
    olivia, claire, ana, ben = people.values()
    await advance(olivia, "lobby", "presentation", "clarification", "contract")
    idea = acked(await ana.send("add_contribution", kind="suggestion", text="Ask the team"))
    other = acked(await ben.send("add_contribution", kind="reaction", text="I felt that too"))
    keep = acked(await claire.send("mark_contribution", contribution_id=idea["seq"], mark="keep"))
    maybe = acked(
        await claire.send("mark_contribution", contribution_id=other["seq"], mark="maybe")
    )
    for person in people.values():
        await person.wait_seq(maybe["seq"])

    marked = [keep["seq"], maybe["seq"]]
    for owner in (claire, olivia):  # the event itself, as the check below would see it
        got = [e for e in owner.events if e["seq"] in marked]
        assert [(e["type"], e["mark"]) for e in got] == [
            ("contribution_marked", "keep"),
            ("contribution_marked", "maybe"),
        ]
    for consultant in (ana, ben):
        got = [e for e in consultant.events if e["seq"] in marked]
        assert [set(e) for e in got] == [{"type", "seq", "at"}] * 2, consultant.name
        assert all(e["type"] == "redacted" for e in got)
        assert not any('"mark":"keep"' in t or '"mark":"maybe"' in t for _, t in consultant.frames)

    # A snapshot and a replay from the start: the marks are not in them for a consultant...
    def marks(hello: Json) -> list[str | None]:
        return [x["mark"] for x in hello["state"]["consultations"][0]["contributions"]]

    assert marks(await _fresh(ana)) == [None, None]
    assert marks(await _fresh(claire)) == ["keep", "maybe"]
    assert marks(await _fresh(olivia)) == ["keep", "maybe"]
    replay = Peer(shared.server, ana.meeting_id, ana.cookie, ana.member_id, "Ana replayed")
    assert (await replay.connect(since=0))["resumed"] is True
    await replay.wait_seq(maybe["seq"])
    await replay.close()
    assert [e["type"] for e in replay.events if e["seq"] in marked] == ["redacted"] * 2
    assert not any('"mark":"keep"' in text for _, text in replay.frames)

    # ... nor in their export; the client's and the facilitator's have them.
    assert "[keep]" not in await _export(shared, ana)
    assert "[maybe]" not in await _export(shared, ben)
    for owner in (claire, olivia):
        exported = await _export(shared, owner)
        assert "Ask the team — *Ana* **[keep]**" in exported
        assert "I felt that too — *Ben* **[maybe]**" in exported
    for person in people.values():
        await person.close()


async def _whole_consultation(people: dict[str, Peer], secrets: dict[str, str]) -> int:
    """Walk the six stages, each person writing their part; the seq once the meeting ended."""
    olivia, claire, ana, ben = people.values()
    await advance(olivia, "lobby")
    acked(await claire.send("set_case", headline=secrets["case"], topic_type="problem"))
    await advance(olivia, "presentation")
    question = acked(await ben.send("ask_question", text=secrets["question"]))
    acked(await claire.send("answer_question", question_id=question["seq"], text=secrets["answer"]))
    await advance(olivia, "clarification")
    acked(await claire.send("set_contract", text=secrets["contract"]))
    await advance(olivia, "contract")
    acked(await ana.send("add_contribution", kind="suggestion", text=secrets["ana"]))
    acked(await ben.send("add_contribution", kind="experience", text=secrets["ben"]))
    await advance(olivia, "consultation")
    acked(await claire.send("set_synthesis", text=secrets["synthesis"]))
    acked(await claire.send("save_action_item", action=secrets["action"]))
    await advance(olivia, "synthesis")
    acked(await claire.send("post_learning", text=secrets["claire_learning"]))
    acked(await ana.send("post_learning", text=secrets["ana_learning"]))
    acked(await ben.send("post_learning", text=secrets["ben_learning"]))
    return await advance(olivia, "conclusion")


def _secrets() -> dict[str, str]:
    names = ("case", "question", "answer", "contract", "ana", "ben", "synthesis", "action")
    names += ("claire_learning", "ana_learning", "ben_learning")
    return {name: f"{name}-{cid()[:8]}" for name in names}


def _record_texts(hello: Json, secrets: dict[str, str]) -> set[str]:
    """Which of the secrets the hello's snapshot holds."""
    state = str(hello["state"])
    return {name for name, text in secrets.items() if text in state}


async def test_after_the_consultation_a_consultant_sees_only_their_part_until_the_client_shares(
    shared: Live,
) -> None:
    people = await _cast(shared, "Ownership circle")
    olivia, claire, ana, ben = people.values()
    secrets = _secrets()
    everything = set(secrets)
    anas_part = {"ana", "ana_learning"}
    ended = await _whole_consultation(people, secrets)

    # At the end, every open socket gets a fresh snapshot: Ana's holds only her own part.
    for person in people.values():
        await person.wait_for(lambda m: m["type"] == "hello" and m["seq"] >= ended)
    live = [m for m in ana.messages if m["type"] == "hello"][-1]
    assert _record_texts(live, secrets) == anas_part
    assert _record_texts(await _fresh(ana), secrets) == anas_part
    assert _record_texts(await _fresh(ben), secrets) == {"ben", "ben_learning"}
    assert _record_texts(await _fresh(claire), secrets) == everything
    assert _record_texts(await _fresh(olivia), secrets) == everything
    exported = await _export(shared, ana)
    assert {name for name, text in secrets.items() if text in exported} == anas_part
    assert "Claire keeps this record private" in exported
    for owner in (claire, olivia):
        exported = await _export(shared, owner)
        assert {name for name, text in secrets.items() if text in exported} == everything

    # The client shares the record after the meeting: the event is shown to all, and Ana's
    # socket gets the whole record at once.
    before = len(ana.messages)
    share = acked(await claire.send("share_record", consultation=0, shared=True))
    for person in people.values():
        event = await person.wait_seq(share["seq"])
        assert (event["type"], event["consultation"], event["shared"]) == (
            "record_shared",
            0,
            True,
        )
    hello = await ana.wait_for(
        lambda m: m["type"] == "hello" and m["seq"] >= share["seq"], start=before
    )
    assert _record_texts(hello, secrets) == everything
    assert hello["state"]["consultations"][0]["shared"] is True
    assert _record_texts(await _fresh(ana), secrets) == everything
    exported = await _export(shared, ana)
    assert {name for name, text in secrets.items() if text in exported} == everything

    # Taken back: Ana is back to her own part, on her socket, in a snapshot and in the export.
    before = len(ana.messages)
    unshare = acked(await claire.send("share_record", consultation=0, shared=False))
    hello = await ana.wait_for(
        lambda m: m["type"] == "hello" and m["seq"] >= unshare["seq"], start=before
    )
    assert _record_texts(hello, secrets) == anas_part
    assert _record_texts(await _fresh(ana), secrets) == anas_part
    exported = await _export(shared, ana)
    assert {name for name, text in secrets.items() if text in exported} == anas_part
    # Nobody but the client may share it.
    for other in (ana, olivia):
        answer = await other.send("share_record", consultation=0, shared=True)
        assert (answer["type"], answer["code"]) == ("error", "forbidden"), answer
    for person in people.values():
        await person.close()


async def test_a_consultant_resuming_after_the_consultation_gets_a_snapshot_not_a_replay(
    shared: Live,
) -> None:
    people = await _cast(shared, "Resume circle")
    olivia, claire, ana, ben = people.values()
    await advance(olivia, "lobby", "presentation", "clarification", "contract")
    mine = acked(await ana.send("add_contribution", kind="suggestion", text="Ana's own idea"))
    await ana.wait_seq(mine["seq"])
    await ana.close()
    away = f"said-while-away-{cid()[:8]}"
    acked(await ben.send("add_contribution", kind="reaction", text=away))
    # While the consultation runs, a resume is a replay of what was missed (the control).
    hello = await _fresh(ana, since=mine["seq"])
    assert hello["resumed"] is True
    await advance(olivia, "consultation")
    acked(await claire.send("set_synthesis", text=f"synthesis-{away}"))
    ended = await advance(olivia, "synthesis", "conclusion")

    resumed = Peer(shared.server, ana.meeting_id, ana.cookie, ana.member_id, "Ana resumes")
    hello = await resumed.connect(since=mine["seq"])
    await resumed.close()
    assert hello["resumed"] is False
    assert hello["seq"] == ended
    contributions = hello["state"]["consultations"][0]["contributions"]
    assert [x["text"] for x in contributions] == ["Ana's own idea"]
    assert not any(away in text for _, text in resumed.frames)
    for person in people.values():
        await person.close()
