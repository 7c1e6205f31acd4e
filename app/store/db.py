"""The database engine and sessions. Created by the app's lifespan, never at import time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.settings import Settings


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.async_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # hide_parameters: an error's text (logged) must not carry what a participant typed.
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True
    )


def writer_engine(engine: AsyncEngine, connections: int) -> Engine:
    """A synchronous twin of ``engine`` for the group-commit writer, which writes a whole batch
    in a worker thread: one thread hop per transaction instead of one per statement."""
    url = engine.url
    if url.drivername == "sqlite+aiosqlite":
        twin = sa_create_engine(
            url.set(drivername="sqlite"), connect_args={"timeout": 30}, hide_parameters=True
        )
        event.listen(twin, "connect", _sqlite_pragmas)
        return twin
    # No pre-ping, a round trip per transaction: the writer retries on a fresh connection when
    # one turns out dead.
    return sa_create_engine(url, pool_size=connections, max_overflow=0, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; NORMAL sync in WAL mode survives a process
    # crash (a committed transaction is in the WAL before the ack is sent).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
