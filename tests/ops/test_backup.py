"""``codev backup`` while serving, ``codev restore``, and deletions that a restore cannot undo."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest

from app import cli
from app.store.tombstones import Tombstones
from tests.databases import fresh_database
from tests.live import LiveServer, free_port, live_server
from tests.ops.helpers import codev, ok, schedule
from tests.support import Participant

pytestmark = pytest.mark.slow


async def test_a_backup_taken_during_a_live_meeting_restores_every_acked_command(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    backup_file = tmp_path / "backup.db"
    secret = f"SECRET{uuid.uuid4().hex[:10]}"
    with live_server(data) as server:
        scheduled = await asyncio.to_thread(schedule, server)
        kept = scheduled.meeting("Kept")
        no_trace = scheduled.meeting("No trace", no_trace=True)
        doomed = scheduled.meeting("Deleted after the backup")
        people = scheduled.people(server, kept)
        hidden = scheduled.people(server, no_trace)
        for person in [*people.values(), hidden["Olivia"], hidden["Claire"]]:
            await person.connect()
        ok(await people["Olivia"].send("advance_stage", expected_stage="lobby"))
        ok(await people["Claire"].send("set_case", headline="Kept case", topic_type="problem"))
        ok(await people["Olivia"].send("advance_stage", expected_stage="presentation"))
        ok(await hidden["Olivia"].send("advance_stage", expected_stage="lobby"))
        ok(await hidden["Claire"].send("set_case", headline=secret, topic_type="problem"))
        ok(await hidden["Claire"].send("add_private_note", text=f"{secret} note"))

        # Ana keeps asking while the backup runs; what was acked before it began must be in it.
        acked: list[tuple[float, str]] = []
        asking, five = True, asyncio.Event()

        async def ask() -> None:
            n = 0
            while asking:
                text = f"question {n}"
                ok(await people["Ana"].send("ask_question", text=text))
                acked.append((time.monotonic(), text))
                n += 1
                if n == 5:
                    five.set()
                await asyncio.sleep(0.15)  # within CODEV_FRAMES_PER_SECOND

        asker = asyncio.create_task(ask())
        await asyncio.wait_for(five.wait(), 30)
        began = time.monotonic()
        done = await asyncio.to_thread(codev, server, "backup", str(backup_file))
        asking = False
        await asker
        assert done.returncode == 0, done.stderr
        before_backup = [text for at, text in acked if at < began]
        assert len(before_backup) >= 5

        # After the backup: the no-trace meeting ends (purged), a meeting and a member go.
        ok(await hidden["Olivia"].send("end_meeting", expected_stage="presentation"))
        cookies = dict(scheduled.org.cookies)
        async with httpx.AsyncClient(base_url=server.url, cookies=cookies) as org:
            assert (await org.delete(f"/api/meetings/{doomed}")).status_code == 204
            ben = scheduled.members["Ben"]["id"]
            assert (await org.delete(f"/api/members/{ben}")).status_code == 204
        for person in [*people.values(), *hidden.values()]:
            await person.close()
        scheduled.org.close()

    restored = await asyncio.to_thread(codev, server, "restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    assert "purge 1" in restored.stdout
    database = (data / "codev.db").read_bytes()
    assert secret.encode() not in database  # not even in the file's free pages

    again = LiveServer(data_dir=data, port=free_port())
    await asyncio.to_thread(again.start)
    try:
        olivia = Participant(
            "Olivia", people["Olivia"].member_id, people["Olivia"].cookie, again, kept
        )
        hello = await olivia.connect()
        questions = [q["text"] for q in hello["state"]["consultations"][0]["questions"]]
        assert set(before_backup) <= set(questions)
        assert hello["state"]["consultations"][0]["case"]["headline"] == "Kept case"
        await olivia.close()

        watcher = Participant(
            "Olivia", hidden["Olivia"].member_id, hidden["Olivia"].cookie, again, no_trace
        )
        hello = await watcher.connect()
        assert hello["state"]["stage"] == "ended"
        assert secret not in str(hello)
        await watcher.close()

        async with httpx.AsyncClient(base_url=again.url, cookies=cookies) as org:
            assert (await org.get(f"/api/meetings/{doomed}")).status_code == 404
            members = (await org.get(f"/api/groups/{scheduled.group_id}/members")).json()
            assert ben not in {m["id"] for m in members}
            assert (await org.get(f"/api/meetings/{kept}")).status_code == 200
    finally:
        await asyncio.to_thread(again.stop)


def test_restoring_a_file_that_is_not_a_backup_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CODEV_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["migrate"]) == 0
    before = (tmp_path / "data" / "codev.db").read_bytes()
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")

    assert cli.main(["restore", str(junk)]) == 1
    assert cli.main(["restore", str(tmp_path / "missing.db")]) == 1

    errors = capsys.readouterr().err
    assert "is not a SQLite database" in errors or "is not a Codev backup" in errors
    assert "there is no backup at" in errors
    assert (tmp_path / "data" / "codev.db").read_bytes() == before


def test_a_backup_never_overwrites_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CODEV_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["migrate"]) == 0
    existing = tmp_path / "backup.db"
    existing.write_text("yesterday's backup")

    assert cli.main(["backup", str(existing)]) == 1
    assert "exists already" in capsys.readouterr().err
    assert existing.read_text() == "yesterday's backup"


def test_on_postgresql_backup_points_to_pg_dump_and_replay_still_applies_deletions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        monkeypatch.setenv("CODEV_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("CODEV_DATABASE_URL", url)
        assert cli.main(["migrate"]) == 0
        assert cli.main(["backup", str(tmp_path / "b.db")]) == 1
        assert "pg_dump" in capsys.readouterr().err

        import psycopg

        plain = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as db:
            db.execute("INSERT INTO organizer VALUES ('o1', 'o@x.org', 'O', 'h', now())")
            db.execute("INSERT INTO codev_group VALUES ('g1', 'o1', 'Circle', now())")
            db.execute("INSERT INTO codev_group VALUES ('g2', 'o1', 'Kept', now())")
        Tombstones(tmp_path / "data").record("group", "g1")

        assert cli.main(["restore", "--replay-only"]) == 0
        assert "group 1" in capsys.readouterr().out
        with psycopg.connect(plain) as db:
            left = [row[0] for row in db.execute("SELECT id FROM codev_group")]
        assert left == ["g2"]
