"""Group isolation: what a signed-in person may see and change, decided in one place.

Everything belongs to a group. A person's *standing* in a group is what they are to it: its
organizer, one of its facilitators, one of its members, or nothing. Nothing means "not found"
(never "forbidden"), so nobody learns which ids exist in other groups; a standing too low for
the action means "forbidden".
"""

from __future__ import annotations

from enum import IntEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from app.api.auth import Identity
from app.errors import NotFound, PermissionDenied
from app.store.models import Group, Meeting, Member


class Standing(IntEnum):
    """What someone is to a group; a higher standing may do everything a lower one may."""

    NONE = 0
    MEMBER = 1
    FACILITATOR = 2
    ORGANIZER = 3


_REFUSALS = {
    Standing.FACILITATOR: "only the organizer or a facilitator of this group may do this",
    Standing.ORGANIZER: "only the group's organizer may do this",
}


async def standing(session: AsyncSession, who: Identity, group: Group) -> Standing:
    if who.organizer_id is not None:
        return Standing.ORGANIZER if group.organizer_id == who.organizer_id else Standing.NONE
    if who.member_id is not None:
        member = await session.get(Member, who.member_id)
        if member is not None and member.group_id == group.id:
            return Standing.FACILITATOR if member.is_facilitator else Standing.MEMBER
    return Standing.NONE


async def _check(
    session: AsyncSession, who: Identity, group: Group | None, need: Standing, what: str
) -> Group:
    held = Standing.NONE if group is None else await standing(session, who, group)
    if group is None or held is Standing.NONE:
        raise NotFound(f"there is no such {what}")
    if held < need:
        raise PermissionDenied(_REFUSALS[need])
    return group


async def group_for(
    session: AsyncSession, who: Identity, group_id: str, need: Standing = Standing.MEMBER
) -> Group:
    """The group, if ``who`` stands at least at ``need`` in it."""
    return await _check(session, who, await session.get(Group, group_id), need, "group")


async def member_for(
    session: AsyncSession, who: Identity, member_id: str, need: Standing = Standing.ORGANIZER
) -> Member:
    """The member, if ``who`` stands at least at ``need`` in the member's group."""
    member = await session.get(Member, member_id)
    group = None if member is None else await session.get(Group, member.group_id)
    await _check(session, who, group, need, "member")
    assert member is not None
    return member


async def meeting_for(
    session: AsyncSession, who: Identity, meeting_id: str, need: Standing = Standing.MEMBER
) -> tuple[Meeting, Group]:
    """The meeting and its group, if ``who`` stands at least at ``need`` in that group."""
    meeting = await session.get(Meeting, meeting_id)
    group = None if meeting is None else await session.get(Group, meeting.group_id)
    checked = await _check(session, who, group, need, "meeting")
    assert meeting is not None
    return meeting, checked
