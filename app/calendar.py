"""Meetings as iCalendar (RFC 5545) with the ``icalendar`` library: invitations, cancellations,
"add to calendar" files and each member's feed.

A meeting keeps one ``UID`` for life; every change a calendar must see raises its ``SEQUENCE``
(``MeetingCalendar.sequence``), so a mail client replaces the event instead of adding one.
Nothing of a case is ever written here: the title, the time, the room and the video link.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar

from app.stages import MeetingPlan, MeetingState
from app.stages.vocabulary import SIX_STAGES
from app.store.models import Meeting

Method = Literal["REQUEST", "CANCEL", "PUBLISH"]
PRODID = "-//Codev//Codev meetings//EN"


@dataclass(frozen=True, slots=True)
class Attendee:
    email: str
    name: str


def duration(plan: MeetingPlan) -> timedelta:
    """The planned length: the openers and the six stages of each consultation."""
    minutes = sum(plan.opener_minutes.get(opener, 0) for opener in plan.openers)
    for consultation in plan.consultations:
        minutes += sum(consultation.stage_minutes(stage) for stage in SIX_STAGES)
    return timedelta(minutes=minutes)


def uid(meeting_id: str, base_url: str) -> str:
    return f"{meeting_id}@{urlsplit(base_url).hostname or 'codev'}"


def room_url(base_url: str, meeting_id: str) -> str:
    return f"{base_url}/meeting.html?id={meeting_id}"


def event(
    meeting: Meeting,
    *,
    base_url: str,
    zone: ZoneInfo,
    sequence: int,
    organizer: str | None = None,
    attendees: Iterable[Attendee] = (),
    cancelled: bool = False,
) -> icalendar.Event | None:
    """The meeting's VEVENT, or None for a meeting with no date (calendars need one)."""
    if meeting.scheduled_for is None:
        return None
    plan = MeetingState.model_validate_json(meeting.state).plan
    start = meeting.scheduled_for.replace(tzinfo=meeting.scheduled_for.tzinfo or UTC)
    room = room_url(base_url, meeting.id)
    described = [f"Codev: {room}"]
    if meeting.video_url:
        described.append(f"Video: {meeting.video_url}")
    vevent = icalendar.Event()
    vevent.add("uid", uid(meeting.id, base_url))
    vevent.add("sequence", sequence)
    vevent.add("dtstamp", datetime.now(UTC))
    vevent.add("dtstart", start.astimezone(zone))
    vevent.add("duration", duration(plan))
    vevent.add("summary", meeting.title)
    vevent.add("location", meeting.video_url or room)
    vevent.add("url", room)
    vevent.add("description", "\n".join(described))
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if organizer:
        vevent.add("organizer", icalendar.vCalAddress(f"mailto:{organizer}"))
    for person in attendees:
        address = icalendar.vCalAddress(f"mailto:{person.email}")
        address.params["CN"] = person.name
        address.params["ROLE"] = "REQ-PARTICIPANT"
        address.params["PARTSTAT"] = "NEEDS-ACTION"
        vevent.add("attendee", address)
    return vevent


def calendar(events: Iterable[icalendar.Event], method: Method, name: str | None = None) -> bytes:
    """A VCALENDAR holding ``events``, with the VTIMEZONE of every zone they use."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    for vevent in events:
        cal.add_component(vevent)
    cal.add_missing_timezones()
    result: bytes = cal.to_ical()
    return result
