"""Presence at a meeting as a stored fact: who connected while it ran, first seen when.

Attendance is proposed from these rows (``app.cycles``) and confirmed by the facilitator.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.models import MeetingPresence, utcnow


async def record_presence(
    sessions: async_sessionmaker[AsyncSession], meeting_id: str, member_id: str
) -> None:
    """Remember that ``member_id`` connected to ``meeting_id``; later joins keep the first."""
    async with sessions() as session:
        if await session.get(MeetingPresence, (meeting_id, member_id)) is not None:
            return
        session.add(
            MeetingPresence(meeting_id=meeting_id, member_id=member_id, first_seen_at=utcnow())
        )
        try:
            await session.commit()
        except IntegrityError:  # another socket of theirs was first, or they are not a member row
            await session.rollback()
