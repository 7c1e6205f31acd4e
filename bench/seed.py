"""Seed a fresh database with M meetings of P participants, straight into the tables.

Creating hundreds of meetings through the REST API would take minutes; the rows written here are
the ones the API writes (organizer, one group per meeting, members, a scheduled meeting whose
``state`` is ``new_meeting(plan)``, and one signed-in session per member), and the server under
test is still the real ``codev serve`` process. Schema: ``codev migrate`` in a subprocess first.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import create_engine, insert

from app.security import hash_token
from app.settings import Settings
from app.stages.plan import ConsultationPlan, MeetingPlan, Participant, Preset
from app.stages.state import new_meeting
from app.store.models import AuthSession, Group, Meeting, Member, Organizer, new_id, utcnow

from .server import ROOT

FIRST_NAMES = ("Ana", "Ben", "Claire", "David", "Emma", "Farid", "Gaelle", "Hugo", "Ines", "Jules")


@dataclass(frozen=True, slots=True)
class Person:
    member_id: str
    cookie: str
    role: str  # facilitator, client or consultant (the roles of the seeded plan)


@dataclass(frozen=True, slots=True)
class MeetingSeed:
    meeting_id: str
    people: tuple[Person, ...]  # the facilitator first, then the client, then consultants


def migrate(env: dict[str, str]) -> None:
    """Create the schema exactly as the server would (Alembic), in a child process."""
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        env={**os.environ, **env},
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def seed(settings: Settings, meetings: int, participants: int) -> list[MeetingSeed]:
    """Write the rows and return, per meeting, who takes part and with which cookie."""
    if not 3 <= participants <= 11:
        raise ValueError("a meeting has 3 to 11 participants (facilitator, client, consultants)")
    now = utcnow()
    expires = now + timedelta(days=1)
    organizer_id = new_id()
    organizers = [
        {
            "id": organizer_id,
            "email": f"bench-{organizer_id[:8]}@example.org",
            "name": "Bench Organizer",
            "password_hash": "not-a-password",
            "created_at": now,
        }
    ]
    groups: list[dict[str, object]] = []
    members: list[dict[str, object]] = []
    rows: list[dict[str, object]] = []
    sessions: list[dict[str, object]] = []
    seeds: list[MeetingSeed] = []
    for m in range(meetings):
        group_id = new_id()
        groups.append(
            {"id": group_id, "organizer_id": organizer_id, "name": f"Group {m}", "created_at": now}
        )
        people: list[Person] = []
        names: dict[str, Participant] = {}
        for p in range(participants):
            member_id = new_id()
            role = "facilitator" if p == 0 else "client" if p == 1 else "consultant"
            name = f"{FIRST_NAMES[p % len(FIRST_NAMES)]} {m}"
            members.append(
                {
                    "id": member_id,
                    "group_id": group_id,
                    "name": name,
                    "email": None,
                    "language": "en",
                    "is_facilitator": p == 0,
                    "organizer_id": None,
                    "created_at": now,
                }
            )
            token = secrets.token_urlsafe(32)
            sessions.append(
                {
                    "token_hash": hash_token(settings.key, token),
                    "organizer_id": None,
                    "member_id": member_id,
                    "created_at": now,
                    "expires_at": expires,
                }
            )
            people.append(Person(member_id, token, role))
            names[member_id] = Participant(name=name)
        plan = MeetingPlan(
            facilitator=people[0].member_id,
            participants=names,
            consultations=(
                ConsultationPlan(client=people[1].member_id, preset=Preset.STANDARD_90),
            ),
        )
        meeting_id = new_id()
        state = new_meeting(meeting_id, plan)
        rows.append(
            {
                "id": meeting_id,
                "group_id": group_id,
                "title": f"Bench meeting {m}",
                "scheduled_for": None,
                "video_url": None,
                "display_key_hash": None,
                "created_at": now,
                "stage": state.stage.value,
                "seq": 0,
                "state": state.model_dump_json(),
            }
        )
        seeds.append(MeetingSeed(meeting_id, tuple(people)))
    engine = create_engine(settings.sqlalchemy_url)
    try:
        with engine.begin() as connection:
            connection.execute(insert(Organizer), organizers)
            connection.execute(insert(Group), groups)
            connection.execute(insert(Member), members)
            connection.execute(insert(Meeting), rows)
            connection.execute(insert(AuthSession), sessions)
    finally:
        engine.dispose()
    return seeds


def create_postgres_database(name: str, host: str = "127.0.0.1", user: str = "postgres") -> None:
    _psql(host, user, f'DROP DATABASE IF EXISTS "{name}"')
    _psql(host, user, f'CREATE DATABASE "{name}"')


def drop_postgres_database(name: str, host: str = "127.0.0.1", user: str = "postgres") -> None:
    _psql(host, user, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_stats(name: str, host: str = "127.0.0.1", user: str = "postgres") -> dict[str, int]:
    """Transactions committed and rolled back in database ``name`` (a failed compare-and-set
    rolls back), and rows updated in ``meeting``."""
    sql = (
        "SELECT xact_commit, xact_rollback, "
        "(SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'meeting') "
        f"FROM pg_stat_database WHERE datname = '{name}'"
    )
    out = _psql(host, user, sql, database=name)
    commits, rollbacks, updates = (int(v or 0) for v in out.strip().split("|"))
    return {"commits": commits, "rollbacks": rollbacks, "meeting_updates": updates}


def _psql(host: str, user: str, sql: str, database: str = "postgres") -> str:
    done = subprocess.run(
        ["psql", "-h", host, "-U", user, "-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout
