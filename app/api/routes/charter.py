"""The group's charter (contrat de groupe): versioned text, and who agreed to which version.

The organizer or a facilitator saves a new version (nothing is rewritten); each member agrees
to the current version when they next enter a meeting room (``/api/meetings/{id}/charter``,
the same cookie and decision as the room's socket). A room can show the charter to everyone
with the ``show_charter`` command.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field, StrictInt, StringConstraints
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.api.auth import SESSION_COOKIE, CurrentIdentity, resolve_participant
from app.api.deps import SessionDep, SettingsDep
from app.api.routes._access import Standing, group_for, meeting_for, standing
from app.api.routes._schemas import Body
from app.api.routes.members import group_members
from app.errors import Conflict, InvalidRequest, NotFound
from app.store.charter import current_charter
from app.store.models import (
    CharterAcceptance,
    CharterVersion,
    MeetingPresence,
    Member,
    Organizer,
    utcnow,
)

router = APIRouter(prefix="/api", tags=["charter"])

CharterText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)
]


class CharterSave(Body):
    text: CharterText


class CharterAccept(Body):
    version: Annotated[StrictInt, Field(ge=1)]


class CharterPublic(BaseModel):
    version: int
    text: str
    saved_by: str | None
    """The name of who saved it; None once they are deleted."""
    created_at: datetime


class Acceptance(BaseModel):
    member_id: str
    name: str
    version: int | None
    """The latest version they agreed to; None if none."""
    accepted_at: datetime | None


class GroupCharter(BaseModel):
    current: CharterPublic | None
    acceptances: list[Acceptance]
    """Who agreed to which version: for the organizer and facilitators only (else empty)."""


class MyCharter(BaseModel):
    current: CharterPublic | None
    accepted_at: datetime | None
    """When you agreed to the current version; None: not yet (or there is no charter)."""


class AttendanceRow(BaseModel):
    member_id: str
    joined_at: datetime | None
    """When they first connected to this meeting; None: not yet."""


async def _public(session: AsyncSession, charter: CharterVersion | None) -> CharterPublic | None:
    if charter is None:
        return None
    return CharterPublic(
        version=charter.version,
        text=charter.text,
        saved_by=await _saver_name(session, charter),
        created_at=charter.created_at,
    )


async def _acceptances(session: AsyncSession, group_id: str) -> list[Acceptance]:
    query = (
        select(CharterAcceptance, CharterVersion)
        .join(CharterVersion, col(CharterVersion.id) == col(CharterAcceptance.charter_id))
        .where(col(CharterVersion.group_id) == group_id)
    )
    latest: dict[str, tuple[int, datetime]] = {}
    for accepted, charter in (await session.exec(query)).all():
        known = latest.get(accepted.member_id)
        if known is None or charter.version > known[0]:
            latest[accepted.member_id] = (charter.version, accepted.accepted_at)
    rows = []
    for member in await group_members(session, group_id):
        agreed = latest.get(member.id)
        rows.append(
            Acceptance(
                member_id=member.id,
                name=member.name,
                version=None if agreed is None else agreed[0],
                accepted_at=None if agreed is None else agreed[1],
            )
        )
    return rows


async def _saver_name(session: AsyncSession, charter: CharterVersion) -> str | None:
    if charter.saved_by_member_id is not None:
        member = await session.get(Member, charter.saved_by_member_id)
        return None if member is None else member.name
    if charter.saved_by_organizer_id is not None:
        organizer = await session.get(Organizer, charter.saved_by_organizer_id)
        return None if organizer is None else organizer.name
    return None


@router.get("/groups/{group_id}/charter")
async def get_charter(group_id: str, session: SessionDep, who: CurrentIdentity) -> GroupCharter:
    group = await group_for(session, who, group_id)
    acceptances = []
    if await standing(session, who, group) >= Standing.FACILITATOR:
        acceptances = await _acceptances(session, group.id)
    return GroupCharter(
        current=await _public(session, await current_charter(session, group.id)),
        acceptances=acceptances,
    )


@router.post("/groups/{group_id}/charter", status_code=status.HTTP_201_CREATED)
async def save_charter(
    group_id: str, body: CharterSave, session: SessionDep, who: CurrentIdentity
) -> CharterPublic:
    """A new version of the charter; members agree to it when they next enter a room."""
    group = await group_for(session, who, group_id, Standing.FACILITATOR)
    current = await current_charter(session, group.id)
    if current is not None and current.text == body.text:
        raise InvalidRequest("text: the charter is unchanged")
    charter = CharterVersion(
        group_id=group.id,
        version=1 if current is None else current.version + 1,
        text=body.text,
        saved_by_member_id=who.member_id,
        saved_by_organizer_id=who.organizer_id,
    )
    session.add(charter)
    await session.commit()
    public = await _public(session, charter)
    assert public is not None
    return public


@router.get("/meetings/{meeting_id}/charter")
async def my_charter(
    meeting_id: str, request: Request, session: SessionDep, settings: SettingsDep
) -> MyCharter:
    """The charter for the participant entering this meeting, and whether they agreed to it."""
    meeting, member_id = await resolve_participant(
        session, settings, request.cookies.get(SESSION_COOKIE), meeting_id
    )
    current = await current_charter(session, meeting.group_id)
    accepted = None
    if current is not None:
        row = await session.get(CharterAcceptance, (member_id, current.id))
        accepted = None if row is None else row.accepted_at
    return MyCharter(current=await _public(session, current), accepted_at=accepted)


@router.post("/meetings/{meeting_id}/charter/accept")
async def accept_charter(
    meeting_id: str,
    body: CharterAccept,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> MyCharter:
    """Agree to the current version (naming it: a charter changed meanwhile is read first)."""
    meeting, member_id = await resolve_participant(
        session, settings, request.cookies.get(SESSION_COOKIE), meeting_id
    )
    current = await current_charter(session, meeting.group_id)
    if current is None:
        raise NotFound("this group has no charter")
    if body.version != current.version:
        raise Conflict(f"the charter is now version {current.version}; read it before agreeing")
    row = await session.get(CharterAcceptance, (member_id, current.id))
    if row is None:
        row = CharterAcceptance(member_id=member_id, charter_id=current.id, accepted_at=utcnow())
        session.add(row)
        await session.commit()
    return MyCharter(current=await _public(session, current), accepted_at=row.accepted_at)


@router.get("/meetings/{meeting_id}/presence")
async def meeting_presence(
    meeting_id: str, session: SessionDep, who: CurrentIdentity
) -> list[AttendanceRow]:
    """Who connected to the meeting, and when first: what attendance is proposed from."""
    meeting, _group = await meeting_for(session, who, meeting_id, Standing.FACILITATOR)
    query = select(MeetingPresence).where(col(MeetingPresence.meeting_id) == meeting.id)
    return [
        AttendanceRow(member_id=row.member_id, joined_at=row.first_seen_at)
        for row in (await session.exec(query)).all()
    ]
