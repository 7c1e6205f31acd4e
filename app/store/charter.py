"""The group's charter as stored: its current version, and whether a member agreed to it."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.models import CharterAcceptance, CharterVersion


async def current_charter(session: AsyncSession, group_id: str) -> CharterVersion | None:
    query = (
        select(CharterVersion)
        .where(col(CharterVersion.group_id) == group_id)
        .order_by(col(CharterVersion.version).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def charter_to_agree(
    session: AsyncSession, group_id: str, member_id: str
) -> CharterVersion | None:
    """The current charter if ``member_id`` has not agreed to it yet; None otherwise."""
    current = await current_charter(session, group_id)
    if current is None:
        return None
    agreed = await session.get(CharterAcceptance, (member_id, current.id))
    return current if agreed is None else None
