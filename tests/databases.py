"""Fresh databases for tests: a SQLite file, or a new database on the local PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

POSTGRES = os.environ.get("CODEV_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """Yield a SQLAlchemy URL of an empty database of ``kind`` ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'codev.db'}"
        return
    name = f"codev_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES.rsplit("/", 1)[0]
    try:
        yield f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
