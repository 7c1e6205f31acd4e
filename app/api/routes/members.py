"""``/api/groups/{id}/members`` and ``/api/members/{id}``: the people of a group.

Only the group's organizer manages members; members see who is in their own group.
"""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.api.auth import CurrentIdentity
from app.api.deps import ServicesDep, SessionDep
from app.api.routes._access import Standing, group_for, member_for
from app.api.routes._schemas import Body, Email, Language, MemberPublic, Name, Patch
from app.errors import Conflict
from app.realtime.broker import AccessChanged
from app.store.models import Member

router = APIRouter(prefix="/api", tags=["members"])

MAX_MEMBERS = 15
"""Roster cap per group, facilitators included: a meeting seats at most 10 and a facilitator
(the plan enforces that); the roster may hold a few more, so people can sit a meeting out."""


class MemberCreate(Body):
    name: Name
    email: Email | None = None
    language: Language = "en"
    is_facilitator: bool = False


class MemberUpdate(Patch):
    not_null = frozenset({"name", "language", "is_facilitator"})

    name: Name | None = None
    email: Email | None = None
    language: Language | None = None
    is_facilitator: bool | None = None


async def group_members(session: AsyncSession, group_id: str) -> list[Member]:
    query = (
        select(Member)
        .where(col(Member.group_id) == group_id)
        .order_by(col(Member.created_at), col(Member.id))
    )
    return list((await session.exec(query)).all())


@router.post("/groups/{group_id}/members", status_code=status.HTTP_201_CREATED)
async def create_member(
    group_id: str, body: MemberCreate, session: SessionDep, who: CurrentIdentity
) -> MemberPublic:
    group = await group_for(session, who, group_id, Standing.ORGANIZER)
    count = await session.exec(
        select(func.count()).select_from(Member).where(col(Member.group_id) == group.id)
    )
    if count.one() >= MAX_MEMBERS:
        raise Conflict(f"a group holds at most {MAX_MEMBERS} members, facilitators included")
    member = Member(group_id=group.id, **body.model_dump())
    session.add(member)
    await session.commit()
    return MemberPublic.of(member)


@router.get("/groups/{group_id}/members")
async def list_members(
    group_id: str, session: SessionDep, who: CurrentIdentity
) -> list[MemberPublic]:
    group = await group_for(session, who, group_id)
    show_email = who.organizer_id is not None
    members = await group_members(session, group.id)
    return [MemberPublic.of(m, show_email=show_email) for m in members]


@router.patch("/members/{member_id}")
async def update_member(
    member_id: str, body: MemberUpdate, session: SessionDep, who: CurrentIdentity
) -> MemberPublic:
    member = await member_for(session, who, member_id)
    changes = body.changes()
    if "email" in changes and changes["email"] != member.email:
        member.mail_refused = None  # the refusal was of the old address
    member.sqlmodel_update(changes)
    session.add(member)
    await session.commit()
    return MemberPublic.of(member)


@router.delete("/members/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_member(
    member_id: str, session: SessionDep, services: ServicesDep, who: CurrentIdentity
) -> None:
    """Deletes the member, their invites and sessions (they are signed out at once, and their
    open sockets closed)."""
    member = await member_for(session, who, member_id)
    services.tombstones.record("member", member.id)  # a restore must not bring it back
    await session.delete(member)
    await session.commit()
    await services.broker.publish_access(AccessChanged("member", member_id))
