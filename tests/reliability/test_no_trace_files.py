"""No-trace means gone from the files: after the meeting ends, none of its texts can be read back
from the database files (SQLite: the database, its WAL and its shared-memory index, byte by
byte) or from any live row (PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.databases import fresh_database
from tests.live import LiveServer, live_server
from tests.reliability.helpers import Json, Organizer, Peer, acked

pytestmark = pytest.mark.slow

FIELDS = (
    "follow_up_report",
    "private_note_olivia",
    "private_note_claire",
    "private_note_ana",
    "private_note_sam",
    "topic_proposal",
    "case_headline",
    "case_context",
    "case_question",
    "question",
    "answer",
    "contract",
    "rephrasing",
    "contribution",
    "scribe_note",
    "synthesis",
    "action",
    "objective",
    "indicator",
    "learning_claire",
    "learning_ana",
    "appreciation",
    "expectations",
    "learnings",
    "applications",
)
"""Every text a participant can type into a meeting (``app/stages/state.py``); signals and
marks carry no text."""


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """(kind, data dir, the server's ``CODEV_DATABASE_URL`` or "" for the default SQLite)."""
    with fresh_database(request.param, tmp_path) as url:
        yield request.param, tmp_path / "data", "" if request.param == "sqlite" else url


def sqlite_files_holding(data_dir: Path, markers: dict[str, str]) -> dict[str, list[str]]:
    """For each marker found, the database files (``codev.db*``) that hold its bytes."""
    found: dict[str, list[str]] = {}
    for path in sorted(data_dir.glob("codev.db*")):
        content = path.read_bytes()
        for name, marker in markers.items():
            if marker.encode() in content:
                found.setdefault(name, []).append(path.name)
    return found


def live_rows_holding(url: str, markers: dict[str, str]) -> dict[str, list[str]]:
    """For each marker found, the PostgreSQL tables with a live row that holds it."""
    found: dict[str, list[str]] = {}
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        tables = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        for (table,) in tables:
            rows = connection.execute(f'SELECT t::text FROM "{table}" t').fetchall()
            text = "\n".join(row for (row,) in rows)
            for name, marker in markers.items():
                if marker in text:
                    found.setdefault(name, []).append(table)
    return found


async def move_on(facilitator: Peer, stage: str) -> str:
    """Advance from ``stage``; the stage the meeting is in now."""
    start = len(facilitator.messages)
    acked(await facilitator.send("advance_stage", expected_stage=stage))
    changed = await facilitator.wait_for(lambda m: m["type"] == "stage_changed", start=start)
    return str(changed["stage"])


async def run_a_no_trace_meeting(server: LiveServer, markers: dict[str, str]) -> None:
    """A meeting with every opener and every kind of text, ended by its facilitator."""
    org = await asyncio.to_thread(Organizer.bootstrap, server)
    group = await asyncio.to_thread(org.group, "Circle", ["Claire", "Sam", "Ana"])
    # An ended meeting with Claire as client, so that this one can open with her follow-up.
    before = await asyncio.to_thread(org.meeting, group, client="Claire", title="Before")
    olivia = org.peers(group, before, ["Olivia"])["Olivia"]
    await olivia.connect()
    acked(await olivia.send("end_meeting", expected_stage="lobby"))
    await olivia.close()
    made = org.http.post(
        f"/api/groups/{group.id}/meetings",
        json={
            "title": "No trace",
            "facilitator_id": group.facilitator_id,
            "openers": ["follow_up", "client_choice"],
            "consultations": [{"scribe_id": group.members["Sam"], "preset": "90"}],
            "no_trace": True,
        },
    )
    assert made.status_code == 201, made.text
    people = org.peers(group, made.json()["id"], ["Olivia", "Claire", "Sam", "Ana"])
    olivia, claire, sam, ana = people.values()
    hello: Json = {}
    for peer in people.values():
        hello = await peer.connect()
    stage = hello["state"]["stage"]

    async def ok(peer: Peer, command: str, **fields: object) -> Json:
        return acked(await peer.send(command, **fields))

    for peer in people.values():
        await ok(peer, "add_private_note", text=markers[f"private_note_{peer.name.lower()}"])
    stage = await move_on(olivia, stage)
    assert stage == "follow_up"
    await ok(claire, "report_follow_up", text=markers["follow_up_report"])
    stage = await move_on(olivia, stage)
    assert stage == "client_choice"
    await ok(ana, "propose_topic", headline=markers["topic_proposal"], topic_type="project")
    await ok(olivia, "choose_client", member_id=claire.member_id)
    stage = await move_on(olivia, stage)
    assert stage == "presentation"
    await ok(
        claire,
        "set_case",
        headline=markers["case_headline"],
        topic_type="problem",
        context=markers["case_context"],
        question=markers["case_question"],
    )
    stage = await move_on(olivia, stage)
    question = await ok(ana, "ask_question", text=markers["question"])
    await ok(claire, "answer_question", question_id=question["seq"], text=markers["answer"])
    stage = await move_on(olivia, stage)
    await ok(claire, "set_contract", text=markers["contract"], help_wanted=["ideas"])
    await ok(ana, "rephrase_contract", text=markers["rephrasing"])
    stage = await move_on(olivia, stage)
    contribution = await ok(
        ana, "add_contribution", kind="suggestion", text=markers["contribution"]
    )
    await ok(claire, "mark_contribution", contribution_id=contribution["seq"], mark="keep")
    await ok(claire, "signal", signal="please_clarify", contribution_id=contribution["seq"])
    await ok(sam, "add_scribe_note", text=markers["scribe_note"])
    stage = await move_on(olivia, stage)
    await ok(claire, "set_synthesis", text=markers["synthesis"])
    await ok(
        claire,
        "save_action_item",
        action=markers["action"],
        objective=markers["objective"],
        indicator=markers["indicator"],
        due="2027-01-15",
    )
    stage = await move_on(olivia, stage)
    assert stage == "conclusion"
    await ok(claire, "post_learning", text=markers["learning_claire"])
    await ok(ana, "post_learning", text=markers["learning_ana"])
    await ok(
        ana,
        "submit_evaluation",
        appreciation=markers["appreciation"],
        expectations=markers["expectations"],
        learnings=markers["learnings"],
        applications=markers["applications"],
        ratings={"usefulness": 5},
    )
    assert await move_on(olivia, stage) == "ended"
    await claire.wait_for(lambda m: m["type"] == "content_purged")
    for peer in people.values():
        await peer.close()
    org.close()


async def test_an_ended_no_trace_meeting_leaves_none_of_its_texts_in_the_database_files(
    database: tuple[str, Path, str],
) -> None:
    kind, data_dir, url = database
    markers = {name: f"mk{uuid.uuid4().hex}" for name in FIELDS}
    env = {"CODEV_DATABASE_URL": url} if url else {}
    with live_server(data_dir, **env) as server:
        await run_a_no_trace_meeting(server, markers)
        # While the server runs, with its connections (and the WAL) open.
        if kind == "sqlite":
            assert sqlite_files_holding(data_dir, markers) == {}
        else:
            assert live_rows_holding(url, markers) == {}
    if kind == "sqlite":  # and once it stopped
        assert sqlite_files_holding(data_dir, markers) == {}


async def test_a_deleted_meeting_leaves_none_of_its_texts_in_the_database_files(
    tmp_path: Path,
) -> None:
    markers = {name: f"mk{uuid.uuid4().hex}" for name in ("case_headline", "question", "note")}
    data_dir = tmp_path / "data"
    with live_server(data_dir) as server:
        org = await asyncio.to_thread(Organizer.bootstrap, server)
        group = await asyncio.to_thread(org.group, "Circle", ["Claire", "Ana"])
        meeting_id = await asyncio.to_thread(org.meeting, group, client="Claire")
        people = org.peers(group, meeting_id, ["Olivia", "Claire", "Ana"])
        for peer in people.values():
            await peer.connect()
        olivia, claire, ana = people.values()
        acked(await ana.send("add_private_note", text=markers["note"]))
        acked(await olivia.send("advance_stage", expected_stage="lobby"))
        acked(
            await claire.send("set_case", headline=markers["case_headline"], topic_type="problem")
        )
        acked(await olivia.send("advance_stage", expected_stage="presentation"))
        acked(await ana.send("ask_question", text=markers["question"]))
        assert len(sqlite_files_holding(data_dir, markers)) == 3  # the test can see them

        deleted = await asyncio.to_thread(org.http.delete, f"/api/meetings/{meeting_id}")
        assert deleted.status_code == 204
        assert sqlite_files_holding(data_dir, markers) == {}
        for peer in people.values():
            await peer.close()
        org.close()
    assert sqlite_files_holding(data_dir, markers) == {}
