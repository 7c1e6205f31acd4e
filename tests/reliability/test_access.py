"""Authorisation over the real socket, and private notes that stay private everywhere."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.reliability.conftest import Live
from tests.reliability.helpers import Peer, acked, advance, cid

pytestmark = pytest.mark.slow


async def _refused_at_connect(peer: Peer, close_code: int, error_code: str) -> None:
    """The socket gets one error and that close code; a command sent at once goes nowhere."""
    await peer.open()
    # Sent before anything is read: the server must not act on it.
    attempt = {"type": "add_private_note", "cid": cid(), "text": "let me in"}
    with contextlib.suppress(ConnectionClosed):  # the server may have closed it already
        await peer.post(attempt)
    assert await peer.wait_closed() == close_code
    assert [(m["type"], m.get("code")) for m in peer.messages] == [("error", error_code)]
    assert not any(m["type"] == "hello" for m in peer.messages)


async def test_only_participants_of_the_meeting_may_open_its_socket(shared: Live) -> None:
    org = shared.org
    first = await asyncio.to_thread(org.group, "First circle", ["Claire", "Ana", "Nora"])
    meeting = await asyncio.to_thread(
        org.meeting, first, client="Claire", participants=["Claire", "Ana"]
    )
    second = await asyncio.to_thread(org.group, "Second circle", ["Xavier"])
    people = await asyncio.to_thread(org.peers, first, meeting, ["Olivia", "Claire", "Nora"])
    xavier_cookie = await asyncio.to_thread(org.member_cookie, second.members["Xavier"])
    olivia = people["Olivia"]
    hello = await olivia.connect()
    server = shared.server

    # A member of another group: "no such meeting", whatever the meeting id.
    stranger = Peer(server, meeting, xavier_cookie, second.members["Xavier"], "Xavier")
    await _refused_at_connect(stranger, 4404, "not_found")
    # Nobody signed in.
    await _refused_at_connect(
        Peer(server, meeting, None, name="anonymous"), 4401, "not_authenticated"
    )
    # A bogus session cookie.
    await _refused_at_connect(
        Peer(server, meeting, "forged", name="forged"), 4401, "not_authenticated"
    )
    # A member of the group who is not a participant of this meeting.
    await _refused_at_connect(people["Nora"], 4403, "forbidden")
    # A participant, but a meeting that does not exist.
    ghost = Peer(server, "0" * 32, people["Claire"].cookie, name="Claire elsewhere")
    await _refused_at_connect(ghost, 4404, "not_found")

    # None of them changed anything, and the meeting goes on.
    acked(await olivia.send("add_private_note", text="still mine"))
    assert [e["seq"] for e in olivia.events] == [hello["seq"] + 1]
    # Over REST too: the other group's member cannot read the meeting.
    async with httpx.AsyncClient(base_url=server.url) as client:
        client.cookies.set("codev_session", xavier_cookie)
        response = await client.get(f"/api/meetings/{meeting}")
    assert response.status_code == 404, response.text
    await olivia.close()


async def test_a_private_note_reaches_its_author_and_nobody_else(shared: Live) -> None:
    org = shared.org
    group = await asyncio.to_thread(org.group, "Private circle", ["Claire", "Sam", "Ana"])
    meeting = await asyncio.to_thread(org.meeting, group, client="Claire", scribe="Sam")
    people = await asyncio.to_thread(org.peers, group, meeting, ["Olivia", "Claire", "Sam", "Ana"])
    link = await asyncio.to_thread(org.http.post, f"/api/meetings/{meeting}/display-link")
    assert link.status_code == 201, link.text
    display_key = parse_qs(urlparse(link.json()["url"]).query)["key"][0]
    olivia, claire, sam, ana = people.values()
    display = Peer(shared.server, meeting, None, name="display", display_key=display_key)
    everyone = [olivia, claire, sam, ana]
    for person in everyone:
        await person.connect()

    assert (await display.connect())["role"] == "display"
    secrets = [f"secret-{cid()}" for _ in range(3)]
    # Sam writes notes in the lobby and in a live stage; the others keep the meeting going.
    note_seqs = [acked(await sam.send("add_private_note", text=secrets[0]))["seq"]]
    await advance(olivia, "lobby")
    acked(await claire.send("set_case", headline="A case", topic_type="problem"))
    note_seqs.append(acked(await sam.send("add_private_note", text=secrets[1]))["seq"])
    await advance(olivia, "presentation")
    note_seqs.append(acked(await sam.send("add_private_note", text=secrets[2]))["seq"])
    final = acked(await ana.send("ask_question", text="What happened first?"))["seq"]
    for person in [*everyone, display]:
        await person.wait_seq(final)

    def leaked(frames: list[tuple[float, str]]) -> list[str]:
        return [text for _at, text in frames if any(s in text for s in secrets)]

    # Sam has them; every other socket got a bare "redacted" in their place, and not a byte more.
    mine = [e for e in sam.events if e["type"] == "private_note_added"]
    assert [e["note"]["text"] for e in mine] == secrets
    for person in [olivia, claire, ana, display]:
        assert leaked(person.frames) == [], person.name
        placeholders = [e for e in person.events if e["seq"] in note_seqs]
        assert [e["seq"] for e in placeholders] == note_seqs, person.name
        for placeholder in placeholders:  # its place in the sequence (and time), nothing else
            assert placeholder["type"] == "redacted", person.name
            assert set(placeholder) <= {"type", "seq", "at"}, placeholder

    # Late joiners: a fresh snapshot and a replay from 0, for a participant and the display.
    for person in [ana, display]:
        await person.close()
    late = Peer(shared.server, meeting, ana.cookie, ana.member_id, "Ana, late")
    snapshot = await late.connect()
    await late.close()
    assert snapshot["state"]["private_notes"] == []
    replay = Peer(shared.server, meeting, ana.cookie, ana.member_id, "Ana, replayed")
    await replay.connect(since=0)
    await replay.wait_seq(final)
    await replay.close()
    await display.connect(since=0)
    await display.wait_seq(final)
    for person in [late, replay, display]:
        assert leaked(person.frames) == [], person.name
    # Sam's own fresh snapshot has them (so the check above can see a leak).
    own = Peer(shared.server, meeting, sam.cookie, sam.member_id, "Sam, again")
    assert [n["text"] for n in (await own.connect())["state"]["private_notes"]] == secrets
    await own.close()

    # REST: the meeting as anyone reads it holds none of them, nor does another's export.
    async with httpx.AsyncClient(base_url=shared.server.url) as client:
        for cookie in (ana.cookie, claire.cookie, org.cookie, sam.cookie):
            client.cookies.set("codev_session", str(cookie))
            response = await client.get(f"/api/meetings/{meeting}")
            assert response.status_code == 200, response.text
            assert not any(s in response.text for s in secrets)
            export = await client.get(f"/api/meetings/{meeting}/export")
            assert export.status_code == 200, export.text
            shown = [s for s in secrets if s in export.text]
            assert shown == (secrets if cookie == sam.cookie else []), cookie
    for person in [olivia, claire, sam, display]:
        await person.close()
