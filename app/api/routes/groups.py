"""``/api/groups``: an organizer's co-development groups.

Deleting a group deletes everything of it (members, their invites and sessions, meetings and
their events) through ``ON DELETE CASCADE`` in one statement: delete means delete.
"""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlmodel import col, select

from app.api.auth import CurrentIdentity, CurrentOrganizer
from app.api.deps import ServicesDep, SessionDep
from app.api.routes._access import Standing, group_for
from app.api.routes._schemas import (
    Body,
    GroupName,
    GroupPublic,
    MemberPublic,
    Name,
    Patch,
    RetentionDays,
)
from app.api.routes.members import group_members
from app.mail import meetings as meeting_mail
from app.realtime.broker import AccessChanged
from app.store.db import checkpoint_wal
from app.store.models import Group, Meeting, Member

router = APIRouter(prefix="/api/groups", tags=["groups"])


class GroupCreate(Body):
    name: GroupName
    add_me_as_facilitator: bool = True
    """Also make the organizer a member (and facilitator) of the group, to run its meetings."""
    my_name: Name | None = None
    """The organizer's name in this group; their account name when omitted."""
    retention_days: RetentionDays = 365


class GroupUpdate(Patch):
    not_null = frozenset({"name", "retention_days"})

    name: GroupName | None = None
    retention_days: RetentionDays | None = None


class GroupDetail(GroupPublic):
    members: list[MemberPublic]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_group(
    body: GroupCreate, session: SessionDep, organizer: CurrentOrganizer
) -> GroupDetail:
    group = Group(organizer_id=organizer.id, name=body.name, retention_days=body.retention_days)
    session.add(group)
    members = []
    if body.add_me_as_facilitator:
        me = Member(
            group_id=group.id,
            name=body.my_name or organizer.name,
            email=organizer.email,
            is_facilitator=True,
            organizer_id=organizer.id,
        )
        members.append(me)
        session.add(me)
    await session.commit()
    return GroupDetail(
        id=group.id,
        name=group.name,
        created_at=group.created_at,
        retention_days=group.retention_days,
        members=[MemberPublic.of(m) for m in members],
    )


@router.get("")
async def list_groups(session: SessionDep, who: CurrentIdentity) -> list[GroupPublic]:
    """The organizer's groups; for a member, the one group they belong to."""
    query = select(Group).order_by(col(Group.created_at), col(Group.id))
    if who.organizer_id is not None:
        query = query.where(col(Group.organizer_id) == who.organizer_id)
    else:
        query = query.join(Member, col(Member.group_id) == col(Group.id)).where(
            col(Member.id) == who.member_id
        )
    groups = (await session.exec(query)).all()
    return [GroupPublic.model_validate(group) for group in groups]


@router.get("/{group_id}")
async def get_group(group_id: str, session: SessionDep, who: CurrentIdentity) -> GroupDetail:
    group = await group_for(session, who, group_id)
    members = await group_members(session, group.id)
    show_email = who.organizer_id is not None
    return GroupDetail(
        id=group.id,
        name=group.name,
        created_at=group.created_at,
        retention_days=group.retention_days,
        members=[MemberPublic.of(m, show_email=show_email) for m in members],
    )


@router.patch("/{group_id}")
async def update_group(
    group_id: str, body: GroupUpdate, session: SessionDep, who: CurrentIdentity
) -> GroupPublic:
    group = await group_for(session, who, group_id, Standing.ORGANIZER)
    group.sqlmodel_update(body.changes())
    session.add(group)
    await session.commit()
    return GroupPublic.model_validate(group)


@router.delete("/{group_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_group(
    group_id: str, session: SessionDep, services: ServicesDep, who: CurrentIdentity
) -> None:
    group = await group_for(session, who, group_id, Standing.ORGANIZER)
    meetings = (
        await session.exec(select(Meeting.id).where(col(Meeting.group_id) == group.id))
    ).all()
    services.tombstones.record("group", group.id)  # a restore must not bring it back
    await meeting_mail.group_deleted(services.mail, session, group.id)
    await session.delete(group)
    await session.commit()
    services.mail.wake()
    await checkpoint_wal(services.engine)  # gone from SQLite's WAL too, not only from the rows
    for meeting_id in meetings:
        services.meetings.forget(meeting_id)
    # Its sockets, on every process, get ``not_found`` and close with 4404.
    await services.broker.publish_access(AccessChanged("group", group.id))
