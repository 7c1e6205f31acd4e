"""The schema is Alembic's on SQLite and PostgreSQL alike, and matches the models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

from app.settings import Settings
from app.stages import apply, new_meeting
from app.stages import commands as c
from app.stages.plan import ConsultationPlan, MeetingPlan, Participant
from app.store import migrate
from tests.databases import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with fresh_database(request.param, tmp_path) as url:
        yield Settings(_env_file=None, data_dir=tmp_path, database_url=url, secret_key="k")


def test_migrations_build_exactly_the_schema_the_models_describe(settings: Settings) -> None:
    migrate.upgrade(settings)
    engine = create_engine(settings.sqlalchemy_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_migrations_downgrade_to_nothing_and_upgrade_again(settings: Settings) -> None:
    migrate.upgrade(settings)
    command.downgrade(migrate.alembic_config(settings), "base")
    engine = create_engine(settings.sqlalchemy_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate.upgrade(settings)
    engine = create_engine(settings.sqlalchemy_url)
    assert "meetingevent" in inspect(engine).get_table_names()
    engine.dispose()


def test_the_upgrade_gives_stored_marks_to_their_client_and_facilitator_only(
    settings: Settings,
) -> None:
    plan = MeetingPlan(
        facilitator="f",
        participants={m: Participant(name=m) for m in ("f", "cl", "k")},
        consultations=(ConsultationPlan(client="cl"),),
    )
    state, events = new_meeting("m1", plan), []
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for actor, sent in [
        ("f", c.AdvanceStage(expected_stage="lobby")),
        ("k", c.AddPrivateNote(text="mine")),
        ("f", c.AdvanceStage(expected_stage="presentation")),
        ("f", c.AdvanceStage(expected_stage="clarification")),
        ("f", c.AdvanceStage(expected_stage="contract")),
        ("k", c.AddContribution(kind="suggestion", text="idea")),
    ]:
        state, new = apply(state, sent, actor, now)
        events += new
    state, new = apply(state, c.MarkContribution(contribution_id=state.seq, mark="keep"), "cl", now)
    events += new
    migrate.upgrade(settings, "0001")
    engine = create_engine(settings.sqlalchemy_url)
    with engine.begin() as db:
        db.execute(text("INSERT INTO organizer VALUES ('o', 'o@x.org', 'O', 'h', :t)"), {"t": now})
        db.execute(text("INSERT INTO codev_group VALUES ('g', 'o', 'G', :t)"), {"t": now})
        db.execute(
            text("INSERT INTO meeting VALUES ('m1', 'g', 'M', NULL, NULL, NULL, :t, :s, :q, :j)"),
            {"t": now, "s": state.stage.value, "q": state.seq, "j": state.model_dump_json()},
        )
        for event in events:
            author = event.note.author if event.type == "private_note_added" else None  # type: ignore[union-attr]
            db.execute(
                text("INSERT INTO meetingevent VALUES ('m1', :seq, :type, :a, :p)"),
                {"seq": event.seq, "type": event.type, "a": author, "p": event.model_dump_json()},
            )
    engine.dispose()
    migrate.upgrade(settings)
    engine = create_engine(settings.sqlalchemy_url)
    with engine.connect() as db:
        rows = dict(db.execute(text("SELECT type, audience FROM meetingevent")).all())
    engine.dispose()
    assert rows["private_note_added"] == '["k"]'
    assert rows["contribution_marked"] == '["cl", "f"]'
    assert rows["contribution_added"] is None
