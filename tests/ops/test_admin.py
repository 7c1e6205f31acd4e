"""The operator's commands, run as an operator runs them: ``codev organizers``, ``groups``,
``export-member`` and ``delete-member``."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.live import LiveServer, free_port, live_server
from tests.ops.helpers import Scheduled, codev, consult, database_text, ok, schedule
from tests.support import Participant

pytestmark = pytest.mark.slow


async def _ended_consultation(server: LiveServer, mark: str) -> tuple[Scheduled, str, list[str]]:
    scheduled = await asyncio.to_thread(schedule, server)
    meeting_id = scheduled.meeting("November meeting")
    people = scheduled.people(server, meeting_id)
    for person in people.values():
        await person.connect()
    texts = await consult(people, mark)
    for person in people.values():
        await person.close()
    return scheduled, meeting_id, texts


def _by(texts: list[str], *kinds: str) -> list[str]:
    return [t for t in texts if t.rsplit("-", 1)[1] in kinds]


ANA = ("note", "refused", "ask", "contribution")  # refused: never stored
BEN = ("rephrase", "experience", "appreciation", "expectations", "learnings", "applications")
CLAIRE = ("headline", "context", "question", "answer", "contract", "synthesis", "action")


async def test_organizers_and_groups_list_the_accounts_and_groups(server: LiveServer) -> None:
    scheduled = await asyncio.to_thread(schedule, server)
    scheduled.meeting("November meeting")
    scheduled.org.close()

    organizers = await asyncio.to_thread(codev, server, "organizers")
    groups = await asyncio.to_thread(codev, server, "groups", "--json")

    assert organizers.returncode == 0, organizers.stderr
    header, row = organizers.stdout.splitlines()
    assert header.split() == ["id", "email", "name", "created_at"]
    assert "org@example.org" in row
    assert "Olivia Organizer" in row
    assert groups.returncode == 0, groups.stderr
    [group] = json.loads(groups.stdout)
    assert group["name"] == "Managers' circle"
    assert group["organizer"] == "org@example.org"
    assert (group["members"], group["meetings"]) == (4, 1)


async def test_export_member_gives_a_person_their_own_data_and_nobody_elses(
    server: LiveServer,
) -> None:
    mark = f"M{uuid.uuid4().hex[:8]}"
    scheduled, meeting_id, texts = await _ended_consultation(server, mark)
    scheduled.org.close()
    ana = scheduled.members["Ana"]["id"]

    as_json = await asyncio.to_thread(codev, server, "export-member", ana)
    as_markdown = await asyncio.to_thread(
        codev, server, "export-member", "claire@example.org", "--format", "markdown"
    )

    assert as_json.returncode == 0, as_json.stderr
    [person] = json.loads(as_json.stdout)
    assert person["member"]["name"] == "Ana"
    assert person["member"]["email"] == "ana@example.org"
    assert person["invites"][0]["last_used_at"]
    [meeting] = person["meetings"]
    assert meeting["id"] == meeting_id
    exported = json.dumps(meeting["items"])
    assert all(t in exported for t in _by(texts, "note", "ask", "contribution"))
    assert not any(t in as_json.stdout for t in _by(texts, *BEN, *CLAIRE, "refused"))
    token = scheduled.invites["Ana"].rsplit("/", 1)[1]
    assert token not in as_json.stdout
    assert as_markdown.returncode == 0, as_markdown.stderr
    assert as_markdown.stdout.startswith("# Claire — Managers' circle")
    assert all(t in as_markdown.stdout for t in _by(texts, *CLAIRE))
    assert not any(t in as_markdown.stdout for t in _by(texts, *ANA, *BEN))


async def test_delete_member_erases_everything_of_theirs_and_keeps_the_others(
    tmp_path: Path,
) -> None:
    mark = f"M{uuid.uuid4().hex[:8]}"
    data = tmp_path / "data"
    with live_server(data) as server:
        scheduled, meeting_id, texts = await _ended_consultation(server, mark)
        scheduled.org.close()
    ana = scheduled.members["Ana"]["id"]

    refused = await asyncio.to_thread(codev, server, "delete-member", ana)
    assert refused.returncode == 1
    assert "--yes" in refused.stderr
    assert all(t in database_text(data) for t in _by(texts, "ask", "contribution"))

    deleted = await asyncio.to_thread(codev, server, "delete-member", ana, "--yes")
    assert deleted.returncode == 0, deleted.stderr

    dump = database_text(data)
    assert not any(t in dump for t in _by(texts, *ANA))
    assert all(t in dump for t in _by(texts, *BEN, *CLAIRE))
    assert not [
        line
        for line in dump.splitlines()
        if line.startswith('INSERT INTO "member"') and ana in line
    ]
    again = LiveServer(data_dir=data, port=free_port())
    await asyncio.to_thread(again.start)
    try:
        olivia = scheduled.people(again, meeting_id)["Olivia"]
        hello = await olivia.connect()
        await olivia.close()
        assert hello["state"]["plan"]["participants"][ana]["name"] == "(deleted member)"
        assert not any(t in json.dumps(hello) for t in _by(texts, *ANA))
        replay = Participant("Olivia", olivia.member_id, olivia.cookie, again, meeting_id)
        # A replay across the consultation's end is answered with a snapshot (what each may see
        # changed there); either way none of Ana's texts comes back.
        await replay.connect(since=0)
        await replay.close()
        assert not any(t in json.dumps(replay.received) for t in _by(texts, *ANA))
        async with httpx.AsyncClient(base_url=again.url) as browser:
            token = scheduled.invites["Ana"].rsplit("/", 1)[1]
            assert (await browser.get(f"/invite/{token}")).status_code == 404
    finally:
        await asyncio.to_thread(again.stop)


async def test_delete_member_refuses_while_their_meeting_is_running(server: LiveServer) -> None:
    scheduled = await asyncio.to_thread(schedule, server)
    meeting_id = scheduled.meeting("November meeting")
    scheduled.org.close()
    olivia = scheduled.people(server, meeting_id)["Olivia"]
    await olivia.connect()
    ok(await olivia.send("advance_stage", expected_stage="lobby"))
    await olivia.close()
    ana = scheduled.members["Ana"]["id"]

    refused = await asyncio.to_thread(codev, server, "delete-member", ana, "--yes")
    unknown = await asyncio.to_thread(codev, server, "export-member", "nobody@example.org")

    assert refused.returncode == 1
    assert "is running" in refused.stderr
    members = database_text(server.data_dir)
    assert ana in members
    assert unknown.returncode == 1
    assert "there is no member nobody@example.org" in unknown.stderr
