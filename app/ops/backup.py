"""``codev backup`` and ``codev restore``, and the replay of deletions after a restore.

SQLite's online backup API copies a consistent snapshot while the server keeps serving (WAL:
the copy is a reader, writers go on). PostgreSQL has ``pg_dump``/``pg_restore`` for that; after
restoring either way, ``replay`` applies every deletion and no-trace purge recorded since
(``app.store.tombstones``), so what was erased stays erased.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, event, func, insert, select, update
from sqlalchemy import create_engine as sa_create_engine
from sqlmodel import col

from app.settings import Settings
from app.stages import EVENT_ADAPTER, MeetingState, Stage, audience_of, decide, fold, purge
from app.stages.commands import EndMeeting
from app.store import migrate
from app.store.event_log import encode_audience
from app.store.models import Group, Meeting, MeetingEvent, Member, ProcessedCommand
from app.store.tombstones import Tombstones


class BackupError(Exception):
    """Raised when a backup or restore cannot be made; the message says what to do."""


def sqlite_file(settings: Settings) -> Path:
    url = settings.sqlalchemy_url
    if not url.startswith("sqlite:///"):
        raise BackupError(
            "the database is not SQLite: use pg_dump to back it up and pg_restore to restore it "
            "(see the README), then `codev restore --replay-only`"
        )
    return Path(url.removeprefix("sqlite:///"))


def backup(settings: Settings, target: Path) -> None:
    """A consistent copy of the live database at ``target`` (which must not exist yet)."""
    source = sqlite_file(settings)
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file")
    partial = target.with_name(target.name + ".partial")
    with _connect(source) as live, _connect(partial) as copy:
        live.backup(copy)  # one step: a snapshot as of one transaction
    partial.chmod(0o600)  # it holds everything the database holds
    os.replace(partial, target)


def restore(settings: Settings, source: Path) -> Counter[str]:
    """Replace the database with the backup at ``source``, bring its schema up to date and
    replay the deletions recorded since. The server must be stopped."""
    target = sqlite_file(settings)
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    with _connect(source) as backup_db:
        _check_backup(backup_db, source)
        target.parent.mkdir(parents=True, exist_ok=True)
        with _connect(target) as live:
            backup_db.backup(live)  # through SQLite, so its WAL and locks stay coherent
    migrate.upgrade(settings)
    replayed = replay(settings)
    with _connect(target) as live:
        live.execute("VACUUM")  # erased rows must not linger in free pages of the file
    return replayed


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def _check_backup(connection: sqlite3.Connection, path: Path) -> None:
    try:
        ok = connection.execute("PRAGMA quick_check").fetchone()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc})") from None
    if ok != ("ok",) or not {"meeting", "alembic_version"} <= tables:
        raise BackupError(f"{path} is not a Codev backup (or it is damaged)")


# --- replay ---------------------------------------------------------------------------------


def replay(settings: Settings) -> Counter[str]:
    """Apply every recorded deletion and purge to the database; returns how many of each
    changed something (one already applied changes nothing)."""
    engine = tool_engine(settings)
    done: Counter[str] = Counter()
    try:
        with engine.begin() as connection:
            for tombstone in Tombstones(settings.data_dir):
                if tombstone.kind == "purge":
                    changed = _purge(connection, tombstone.id)
                else:
                    table = {"meeting": Meeting, "member": Member, "group": Group}[tombstone.kind]
                    rows = table.__table__  # type: ignore[attr-defined]
                    result = connection.execute(delete(rows).where(rows.c.id == tombstone.id))
                    changed = result.rowcount > 0
                done[tombstone.kind] += changed
    finally:
        engine.dispose()
    return done


def tool_engine(settings: Settings) -> Engine:
    """A synchronous engine for the command-line tools, with the app's foreign-key cascades."""
    engine = sa_create_engine(settings.sqlalchemy_url, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _foreign_keys)
    return engine


def _foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


def load_state(connection: Connection, meeting_id: str) -> MeetingState | None:
    """The meeting's current state: its snapshot and the events stored after it."""
    row = connection.execute(
        select(col(Meeting.state), col(Meeting.seq)).where(col(Meeting.id) == meeting_id)
    ).one_or_none()
    if row is None:
        return None
    state = MeetingState.model_validate_json(row[0])
    tail = connection.execute(
        select(col(MeetingEvent.payload))
        .where(col(MeetingEvent.meeting_id) == meeting_id, col(MeetingEvent.seq) > state.seq)
        .order_by(col(MeetingEvent.seq))
    ).scalars()
    return fold(state, [EVENT_ADAPTER.validate_json(payload) for payload in tail])


def _purge(connection: Connection, meeting_id: str) -> bool:
    """End the no-trace meeting as its facilitator would have, through the machine: its
    content is emptied and every earlier event deleted, as when it ended the first time."""
    state = load_state(connection, meeting_id)
    if state is None:
        return False  # deleted since
    now = datetime.now(UTC)
    if state.stage is Stage.ENDED:
        # Retention erased it after it ended (none: the backup holds the purge already).
        events = purge(state, now)
        if not events:
            return False
    else:
        command = EndMeeting(expected_stage=state.stage)
        events = decide(state, command, state.plan.facilitator, now)
        if state.plan.no_trace is False or not any(e.type == "content_purged" for e in events):
            return False  # only a no-trace meeting is purged when it ends
    ended = fold(state, events)
    connection.execute(delete(MeetingEvent).where(col(MeetingEvent.meeting_id) == meeting_id))
    connection.execute(
        delete(ProcessedCommand).where(col(ProcessedCommand.meeting_id) == meeting_id)
    )
    connection.execute(
        insert(MeetingEvent),
        [
            {
                "meeting_id": meeting_id,
                "seq": e.seq,
                "type": e.type,
                "audience": encode_audience(audience_of(e, state.plan)),
                "payload": e.model_dump_json(),
            }
            for e in events
        ],
    )
    connection.execute(
        update(Meeting)
        .where(col(Meeting.id) == meeting_id)
        .values(
            seq=ended.seq,
            state=ended.model_dump_json(),
            stage=ended.stage.value,
            ended_at=func.coalesce(col(Meeting.ended_at), now),
            purged_at=now,
        )
    )
    return True
