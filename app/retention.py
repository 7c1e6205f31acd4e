"""Retention: the case content of meetings that ended longer ago than their group keeps it is
erased by the server itself, through the write path's purge (the one the no-trace mode uses:
a ``content_purged`` event, the events and processed commands before it deleted, the snapshot
rewritten). ``codev purge`` runs the same pass on demand.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound
from app.meetings import MeetingService
from app.realtime.broker import create_broker
from app.settings import Settings
from app.stages import CommandRefused
from app.store.db import create_engine, session_factory
from app.store.event_log import MeetingLog
from app.store.models import Group, Meeting
from app.store.tombstones import Tombstones

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]


async def expired(
    sessions: Sessions, meetings: MeetingService, older_than: timedelta | None = None
) -> list[str]:
    """Ended meetings not purged yet whose end is older than their group's retention (or than
    ``older_than``, when given)."""
    now = meetings.now()
    query = (
        select(Meeting.id, Meeting.ended_at, Group.retention_days)
        .join(Group, col(Group.id) == col(Meeting.group_id))
        .where(col(Meeting.ended_at).is_not(None), col(Meeting.purged_at).is_(None))
    )
    async with sessions() as session:
        rows = (await session.exec(query)).all()
    return [
        meeting_id
        for meeting_id, ended_at, days in rows
        if ended_at is not None and ended_at <= now - (older_than or timedelta(days=days))
    ]


async def purge_expired(
    sessions: Sessions, meetings: MeetingService, older_than: timedelta | None = None
) -> list[str]:
    """Erase the case content of every expired meeting; the ids of those it erased."""
    erased = []
    for meeting_id in await expired(sessions, meetings, older_than):
        try:
            if await meetings.purge(meeting_id):  # marked purged in the purge's transaction
                erased.append(meeting_id)
                continue
        except (NotFound, CommandRefused):
            continue  # deleted meanwhile
        # Nothing was left to erase (a meeting ended in its lobby, say): mark it, so that the
        # next passes skip it.
        async with sessions() as session:
            await session.exec(
                update(Meeting)
                .where(col(Meeting.id) == meeting_id)
                .values(purged_at=meetings.now())
            )
            await session.commit()
    return erased


async def run_periodically(sessions: Sessions, meetings: MeetingService, interval: float) -> None:
    """The server's own retention: a pass at start, then one every ``interval`` seconds."""
    while True:
        try:
            purged = await purge_expired(sessions, meetings)
            if purged:
                log.info("retention: erased the case content of %d meeting(s)", len(purged))
        except (SQLAlchemyError, OSError) as exc:  # the database is away: try at the next pass
            log.warning("retention pass failed: %s", exc)
        await asyncio.sleep(interval)


async def purge_now(settings: Settings, older_than: timedelta | None) -> int:
    """One pass outside the server (``codev purge``); with Redis configured, running server
    processes hear of each purge as of any other write."""
    engine = create_engine(settings)
    broker = create_broker(settings)
    log_ = MeetingLog(engine)
    await broker.start(lambda publication: None)
    try:
        return len(
            await purge_expired(
                session_factory(engine),
                # Recorded like the server's own purges, so a restore does not bring them back.
                MeetingService(log_, broker, tombstones=Tombstones(settings.data_dir)),
                older_than,
            )
        )
    finally:
        await broker.close()
        await log_.close()
        await engine.dispose()
