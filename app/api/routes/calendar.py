"""Calendars: "add to calendar" for one meeting, and each member's private feed.

The feed's URL holds a long random token, stored as a keyed hash like invite tokens: calendar
apps fetch it without cookies, so the token is the only key. Making a new one revokes the old.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from app import calendar
from app.api.auth import CurrentIdentity, Identity
from app.api.deps import ServicesDep, SessionDep
from app.api.routes._access import Standing, meeting_for, member_for
from app.errors import NotFound
from app.mail.meetings import sequence_of
from app.security import hash_token, new_token
from app.services import Services
from app.store.models import CalendarFeed, Group, Meeting, MeetingCalendar, Member

router = APIRouter(prefix="/api", tags=["calendars"])
feeds = APIRouter(include_in_schema=False)
"""The feed itself, fetched by calendar apps: not part of the JSON API."""

ICS = "text/calendar; charset=utf-8"
ICS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/calendar": {"schema": {"type": "string"}}}}
}
NO_FEED = "this calendar link is not valid (it may have been replaced or revoked)"


class CalendarFeedLink(BaseModel):
    url: str
    """``https://…/calendar/{token}.ics``, for calendar apps that subscribe to a URL."""
    webcal_url: str
    """The same feed as ``webcal://``: opening it subscribes in most calendar apps."""


async def _owner(session: AsyncSession, who: Identity, member_id: str) -> Member:
    """The member themselves, or their group's organizer."""
    if who.member_id == member_id:
        member = await session.get(Member, member_id)
        if member is not None:
            return member
    return await member_for(session, who, member_id, Standing.ORGANIZER)


@router.post("/members/{member_id}/calendar-feed", status_code=status.HTTP_201_CREATED)
async def create_calendar_feed(
    member_id: str, session: SessionDep, services: ServicesDep, who: CurrentIdentity
) -> CalendarFeedLink:
    """A private feed of the member's group's meetings; the previous feed link stops working."""
    member = await _owner(session, who, member_id)
    await session.exec(delete(CalendarFeed).where(col(CalendarFeed.member_id) == member.id))
    token = new_token()
    session.add(
        CalendarFeed(token_hash=hash_token(services.settings.key, token), member_id=member.id)
    )
    await session.commit()
    url = f"{services.settings.base_url}/calendar/{token}.ics"
    return CalendarFeedLink(url=url, webcal_url="webcal://" + url.split("://", 1)[1])


@router.delete("/members/{member_id}/calendar-feed", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_calendar_feed(member_id: str, session: SessionDep, who: CurrentIdentity) -> None:
    member = await _owner(session, who, member_id)
    await session.exec(delete(CalendarFeed).where(col(CalendarFeed.member_id) == member.id))
    await session.commit()


@router.get("/meetings/{meeting_id}/calendar.ics", response_class=Response, responses=ICS_RESPONSE)
async def meeting_calendar(
    meeting_id: str, session: SessionDep, services: ServicesDep, who: CurrentIdentity
) -> Response:
    """The meeting as an ``.ics`` file, to add to a calendar (same UID as the mailed invitation)."""
    meeting, _group = await meeting_for(session, who, meeting_id)
    vevent = calendar.event(
        meeting,
        base_url=services.settings.base_url,
        zone=services.mail.zone,
        sequence=await sequence_of(session, meeting.id),
    )
    if vevent is None:
        raise NotFound("this meeting has no date yet, so it cannot go in a calendar")
    body = calendar.calendar([vevent], "PUBLISH")
    headers = {"Content-Disposition": f'attachment; filename="codev-{meeting.id[:8]}.ics"'}
    return Response(body, media_type=ICS, headers=headers)


@feeds.get("/calendar/{token}.ics")
async def calendar_feed(token: str, session: SessionDep, services: ServicesDep) -> Response:
    """Every dated meeting of the member's group, for a calendar app's subscription."""
    feed = None
    if len(token) <= 200:
        feed = await session.get(CalendarFeed, hash_token(services.settings.key, token))
    member = None if feed is None else await session.get(Member, feed.member_id)
    if member is None:
        return Response(NO_FEED, status_code=404, media_type="text/plain; charset=utf-8")
    body = await _feed(session, services, member)
    return Response(body, media_type=ICS, headers={"Cache-Control": "no-store"})


async def _feed(session: AsyncSession, services: Services, member: Member) -> bytes:
    group = await session.get(Group, member.group_id)
    rows = await session.exec(
        select(Meeting, func.coalesce(col(MeetingCalendar.sequence), 0))
        .join(MeetingCalendar, col(MeetingCalendar.meeting_id) == col(Meeting.id), isouter=True)
        .where(col(Meeting.group_id) == member.group_id, col(Meeting.scheduled_for).is_not(None))
        .order_by(col(Meeting.scheduled_for))
    )
    events = []
    for meeting, sequence in rows.all():
        vevent = calendar.event(
            meeting, base_url=services.settings.base_url, zone=services.mail.zone, sequence=sequence
        )
        if vevent is not None:
            events.append(vevent)
    return calendar.calendar(events, "PUBLISH", name=f"Codev: {group.name if group else ''}")
