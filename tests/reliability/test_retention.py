"""Retention: the case content of a meeting that ended longer ago than its group keeps it is
erased from the database by the server itself, or on demand by ``codev purge``."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import LiveServer, live_server
from tests.reliability.helpers import Group, Organizer, acked, cid

pytestmark = pytest.mark.slow


def _database(server: LiveServer) -> sqlite3.Connection:
    return sqlite3.connect(server.data_dir / "codev.db", timeout=30)


async def _ended_meeting(org: Organizer, group: Group, title: str) -> tuple[str, str]:
    """A meeting whose client presented a case and which then ended: (its id, the secret)."""
    meeting = await asyncio.to_thread(org.meeting, group, client="Claire", title=title)
    people = await asyncio.to_thread(org.peers, group, meeting, ["Olivia", "Claire", "Ana"])
    olivia, claire, ana = people.values()
    for person in people.values():
        await person.connect()
    secret = f"{title}-{cid()[:8]}"
    acked(await olivia.send("advance_stage", expected_stage="lobby"))
    acked(await claire.send("set_case", headline=secret, topic_type="problem"))
    acked(await ana.send("add_private_note", text=f"note on {secret}"))
    acked(await olivia.send("end_meeting", expected_stage="presentation"))
    for person in people.values():
        await person.close()
    return meeting, secret


def _age(server: LiveServer, meeting_id: str, days: int) -> None:
    """Move the meeting's end back in time, as only waiting would (behind the server's back)."""
    with _database(server) as db:
        (ended,) = db.execute("SELECT ended_at FROM meeting WHERE id = ?", (meeting_id,)).fetchone()
        assert ended is not None, "ending the meeting stored its end time"
        db.execute(
            "UPDATE meeting SET ended_at = datetime(ended_at, ?) WHERE id = ?",
            (f"-{days} days", meeting_id),
        )


def _traces(server: LiveServer, meeting_id: str, secret: str) -> dict[str, int]:
    """Where the secret still is: stored events, the snapshot, processed commands."""
    with _database(server) as db:
        events = db.execute(
            "SELECT count(*) FROM meetingevent WHERE meeting_id = ? AND payload LIKE ?",
            (meeting_id, f"%{secret}%"),
        ).fetchone()[0]
        snapshot = db.execute(
            "SELECT count(*) FROM meeting WHERE id = ? AND state LIKE ?",
            (meeting_id, f"%{secret}%"),
        ).fetchone()[0]
        commands = db.execute(
            "SELECT count(*) FROM processedcommand WHERE meeting_id = ?", (meeting_id,)
        ).fetchone()[0]
    return {"events": events, "snapshot": snapshot, "commands": commands}


GONE = {"events": 0, "snapshot": 0, "commands": 0}


async def test_the_server_erases_a_meeting_past_its_groups_retention_by_itself(
    tmp_path: Path,
) -> None:
    with live_server(tmp_path / "data", CODEV_RETENTION_INTERVAL="0.2") as server:
        org = Organizer.bootstrap(server)
        group = await asyncio.to_thread(org.group, "Retention circle", ["Claire", "Ana"])
        kept = await asyncio.to_thread(
            org.http.patch, f"/api/groups/{group.id}", json={"retention_days": 30}
        )
        assert (kept.status_code, kept.json()["retention_days"]) == (200, 30), kept.text
        old, old_secret = await _ended_meeting(org, group, "old")
        recent, recent_secret = await _ended_meeting(org, group, "recent")
        # Someone is still on the old meeting's ended screen: they see it go.
        watcher = (await asyncio.to_thread(org.peers, group, old, ["Claire"]))["Claire"]
        hello = await watcher.connect()
        assert old_secret in str(hello["state"])
        assert _traces(server, old, old_secret)["events"] > 0

        _age(server, old, days=31)
        _age(server, recent, days=29)
        purged = await watcher.wait_for(lambda m: m["type"] == "content_purged", within=30)
        assert purged["seq"] == hello["seq"] + 1
        await watcher.close()
        assert _traces(server, old, old_secret) == GONE
        assert _traces(server, old, "note on") == GONE
        with _database(server) as db:
            (purged_at,) = db.execute(
                "SELECT purged_at FROM meeting WHERE id = ?", (old,)
            ).fetchone()
        assert purged_at is not None
        # The recent one is kept, whole.
        assert _traces(server, recent, recent_secret)["events"] > 0
        assert _traces(server, recent, recent_secret)["snapshot"] == 1
        org.close()


async def test_codev_purge_erases_what_is_older_than_asked_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    with live_server(tmp_path / "data") as server:
        org = Organizer.bootstrap(server)
        group = await asyncio.to_thread(org.group, "Purge circle", ["Claire", "Ana"])
        old, old_secret = await _ended_meeting(org, group, "old")
        recent, recent_secret = await _ended_meeting(org, group, "recent")
        org.close()
    # The group keeps a year (the default), so the server left both alone.
    _age(server, old, days=31)
    _age(server, recent, days=5)
    env = {**os.environ, "CODEV_DATA_DIR": str(server.data_dir), "CODEV_SECRET_KEY": "k"}
    done = await asyncio.to_thread(_purge, env, "10")
    assert done.returncode == 0, done.stderr
    assert "erased the case content of 1 ended meeting" in done.stdout
    assert _traces(server, old, old_secret) == GONE
    assert _traces(server, recent, recent_secret)["snapshot"] == 1
    # Again: nothing is left to erase.
    again = await asyncio.to_thread(_purge, env, "10")
    assert "erased the case content of 0 ended meeting" in again.stdout


def _purge(env: dict[str, str], days: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "purge", "--older-than", days],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
