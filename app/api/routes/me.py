"""``/api/me``: who is signed in, so the pages know what to show."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.api.auth import CurrentIdentity
from app.api.deps import SessionDep
from app.api.routes._schemas import OrganizerPublic
from app.errors import NotAuthenticated
from app.store.models import Group, Member, Organizer

router = APIRouter(prefix="/api/me", tags=["me"])


class MeMember(BaseModel):
    id: str
    name: str
    group_id: str
    group_name: str
    language: str
    is_facilitator: bool


class Me(BaseModel):
    organizer: OrganizerPublic | None = None
    member: MeMember | None = None


@router.get("")
async def me(session: SessionDep, who: CurrentIdentity) -> Me:
    if who.organizer_id is not None:
        organizer = await session.get(Organizer, who.organizer_id)
        if organizer is not None:
            return Me(organizer=OrganizerPublic.of(organizer))
    if who.member_id is not None:
        member = await session.get(Member, who.member_id)
        group = None if member is None else await session.get(Group, member.group_id)
        if member is not None and group is not None:
            return Me(
                member=MeMember(
                    id=member.id,
                    name=member.name,
                    group_id=group.id,
                    group_name=group.name,
                    language=member.language,
                    is_facilitator=member.is_facilitator,
                )
            )
    raise NotAuthenticated("sign in first: no valid session")
