"""The schema is Alembic's on SQLite and PostgreSQL alike, and matches the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from app.settings import Settings
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
