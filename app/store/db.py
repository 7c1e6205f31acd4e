"""The database engine and sessions. Created by the app's lifespan, never at import time."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.settings import Settings

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
CHECKPOINT_BUSY_TIMEOUT_MS = 200
"""A checkpoint that waits for readers blocks new writers meanwhile: it waits briefly, and
retries, rather than hold every meeting's writes for the usual busy timeout."""
CHECKPOINT_ATTEMPTS = 5


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
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # Deleted rows are overwritten with zeros, not left in free pages (set here, whatever the
    # SQLite build's default).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


async def checkpoint_wal(engine: AsyncEngine) -> bool:
    """After a purge or a delete: copy the WAL into the database and truncate it to zero bytes,
    so that the deleted texts no longer sit in ``codev.db-wal`` (pages written before the purge
    stay there otherwise, until about 4 MB of later writes wrap them). Call it once the delete
    committed: it cannot run inside a transaction. Retries while readers or a writer hold the
    WAL; False if it never got through (the next checkpoint, or a clean shutdown, completes it),
    never an exception: what it follows is committed already. A no-op on PostgreSQL (see the
    README on VACUUM)."""
    if engine.dialect.name != "sqlite":
        return True
    try:
        for attempt in range(CHECKPOINT_ATTEMPTS):
            async with engine.connect() as connection:
                if await connection.run_sync(_checkpoint):
                    return True
            await asyncio.sleep(0.05 * 2**attempt)
    except Exception as exc:
        log.warning("the WAL checkpoint after a delete failed: %s", exc)
        return False
    log.warning("the WAL could not be checkpointed after a delete: readers kept it busy")
    return False


def _checkpoint(connection: Connection) -> bool:
    """One TRUNCATE checkpoint; False when readers or a writer kept it from completing."""
    connection.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_BUSY_TIMEOUT_MS}")
    try:
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
    except OperationalError:  # another connection is checkpointing
        return False
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return not busy


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
