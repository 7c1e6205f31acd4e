"""Which mails a meeting's life sends, and to whom: its invitation, each change, its cancellation
(each with an ``.ics``), the reminder before it and the client's reminder to prepare.

The routes call ``scheduled``, ``changed`` and ``cancelled`` inside their own transaction, so a
mail exists exactly when its change was committed; ``remind_due`` runs in the sender's rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, or_
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from app import calendar
from app.mail.messages import Kind, Mail
from app.mail.outbox import Outbox
from app.stages import MeetingState, Stage
from app.store.models import Group, Meeting, MeetingCalendar, Member, utcnow


@dataclass(frozen=True, slots=True)
class Before:
    """What a meeting was before an update, to tell whether calendars must hear of it."""

    title: str
    scheduled_for: datetime | None
    video_url: str | None
    length: timedelta
    people: frozenset[str]


def people(meeting: Meeting) -> frozenset[str]:
    """The member ids the meeting is for: its facilitator and participants."""
    plan = MeetingState.model_validate_json(meeting.state).plan
    return frozenset({plan.facilitator, *plan.participants})


def before(meeting: Meeting) -> Before:
    return Before(
        meeting.title, meeting.scheduled_for, meeting.video_url, _length(meeting), people(meeting)
    )


def _length(meeting: Meeting) -> timedelta:
    return calendar.duration(MeetingState.model_validate_json(meeting.state).plan)


def clients(meeting: Meeting) -> frozenset[str]:
    plan = MeetingState.model_validate_json(meeting.state).plan
    return frozenset(c.client for c in plan.consultations if c.client is not None)


async def sequence_of(session: AsyncSession, meeting_id: str) -> int:
    row = await session.get(MeetingCalendar, meeting_id)
    return 0 if row is None else row.sequence


async def _bump(session: AsyncSession, meeting_id: str, *, new: bool = False) -> int:
    """The next SEQUENCE: 0 for a new meeting, and above whatever calendars may hold after."""
    row = await session.get(MeetingCalendar, meeting_id)
    if row is None:  # a new meeting, or one from before mail (its feed entry had SEQUENCE 0)
        row = MeetingCalendar(meeting_id=meeting_id, sequence=0 if new else 1)
    else:
        row.sequence += 1
    session.add(row)
    await session.flush()
    return row.sequence


async def _members(session: AsyncSession, group_id: str, ids: frozenset[str]) -> list[Member]:
    if not ids:
        return []
    found = await session.exec(
        select(Member).where(col(Member.group_id) == group_id, col(Member.id).in_(ids))
    )
    return sorted(found.all(), key=lambda m: m.id)


async def _send(
    outbox: Outbox,
    session: AsyncSession,
    meeting: Meeting,
    kind: Kind,
    to: list[Member],
    *,
    sequence: int,
    cancelled: bool = False,
) -> None:
    """One mail per recipient with an address, each with the meeting's ``.ics`` if it has a date."""
    recipients = [m for m in to if m.email]
    if not outbox.enabled or not recipients:
        return
    group = await session.get(Group, meeting.group_id)
    base = outbox.settings.base_url
    attendees = [calendar.Attendee(m.email, m.name) for m in recipients if m.email]
    vevent = calendar.event(
        meeting,
        base_url=base,
        zone=outbox.zone,
        sequence=sequence,
        organizer=outbox.sender_address,
        attendees=attendees,
        cancelled=cancelled,
    )
    method: calendar.Method = "CANCEL" if cancelled else "REQUEST"
    with_ics = kind in ("meeting", "update", "cancel")
    ics = calendar.calendar([vevent], method) if vevent is not None and with_ics else None
    for member in recipients:
        assert member.email is not None
        outbox.enqueue(
            session,
            Mail(
                kind=kind,
                to=member.email,
                name=member.name,
                language=member.language,
                group=group.name if group else "",
                title=meeting.title,
                when=meeting.scheduled_for,
                link=calendar.room_url(base, meeting.id),
                video_url=meeting.video_url,
                ics=ics,
                ics_method=method if ics else None,
            ),
            member.id,
        )


async def scheduled(outbox: Outbox, session: AsyncSession, meeting: Meeting) -> None:
    """A new meeting: its invitation (SEQUENCE 0) to everyone it is for."""
    sequence = await _bump(session, meeting.id, new=True)
    to = await _members(session, meeting.group_id, people(meeting))
    await _send(outbox, session, meeting, "meeting", to, sequence=sequence)


async def changed(outbox: Outbox, session: AsyncSession, was: Before, meeting: Meeting) -> bool:
    """After an update: the new invitation to those still in it, a cancellation to those left
    out, each with a higher SEQUENCE; False when calendars have nothing to learn."""
    now = people(meeting)
    moved = (was.title, was.scheduled_for, was.video_url, was.length) != (
        meeting.title,
        meeting.scheduled_for,
        meeting.video_url,
        _length(meeting),
    )
    if not moved and now == was.people:
        return False
    if meeting.stage == Stage.ENDED.value:
        return False
    sequence = await _bump(session, meeting.id)
    kept = now if moved else now - was.people
    kind: Kind = "update" if moved else "meeting"
    await _send(
        outbox,
        session,
        meeting,
        kind,
        await _members(session, meeting.group_id, kept),
        sequence=sequence,
    )
    left = await _members(session, meeting.group_id, was.people - now)
    await _send(outbox, session, meeting, "cancel", left, sequence=sequence, cancelled=True)
    return True


async def cancelled(outbox: Outbox, session: AsyncSession, meeting: Meeting) -> None:
    """Before the meeting is deleted: its cancellation (the next SEQUENCE) to everyone."""
    if meeting.stage == Stage.ENDED.value:
        return
    sequence = await sequence_of(session, meeting.id) + 1
    to = await _members(session, meeting.group_id, people(meeting))
    await _send(outbox, session, meeting, "cancel", to, sequence=sequence, cancelled=True)


async def group_deleted(outbox: Outbox, session: AsyncSession, group_id: str) -> None:
    """Before a group is deleted: the cancellation of each of its meetings still to come."""
    coming = await session.exec(
        select(Meeting).where(
            col(Meeting.group_id) == group_id, col(Meeting.scheduled_for) > utcnow()
        )
    )
    for meeting in list(coming.all()):
        await cancelled(outbox, session, meeting)


async def remind_due(outbox: Outbox) -> None:
    """Reminders of the meetings coming up, once per date (a new date gets new reminders)."""
    settings = outbox.settings
    now = utcnow()
    horizon = now + timedelta(hours=max(settings.reminder_hours, settings.prepare_reminder_hours))
    async with outbox.sessions() as session:
        coming = await session.exec(
            select(Meeting).where(
                col(Meeting.scheduled_for) > now,
                col(Meeting.scheduled_for) <= horizon,
                col(Meeting.stage) == Stage.LOBBY.value,
            )
        )
        for meeting in list(coming.all()):
            assert meeting.scheduled_for is not None
            left = meeting.scheduled_for - now
            if left <= timedelta(hours=settings.reminder_hours) and await _claim(
                session, meeting, "reminded_for"
            ):
                to = await _members(session, meeting.group_id, people(meeting))
                await _send(outbox, session, meeting, "reminder", to, sequence=0)
            if left <= timedelta(hours=settings.prepare_reminder_hours) and await _claim(
                session, meeting, "prepare_reminded_for"
            ):
                to = await _members(session, meeting.group_id, clients(meeting))
                await _send(outbox, session, meeting, "prepare", to, sequence=0)
            await session.commit()


async def _claim(session: AsyncSession, meeting: Meeting, column: str) -> bool:
    """Mark the reminder as sent for this date; False when it already was (here or elsewhere)."""
    if await session.get(MeetingCalendar, meeting.id) is None:
        session.add(MeetingCalendar(meeting_id=meeting.id, sequence=0))
        await session.flush()
    field = col(getattr(MeetingCalendar, column))
    result = await session.exec(
        update(MeetingCalendar)
        .where(
            col(MeetingCalendar.meeting_id) == meeting.id,
            or_(field.is_(None), field != meeting.scheduled_for),
        )
        .values({column: meeting.scheduled_for})
    )
    assert isinstance(result, CursorResult)
    return bool(result.rowcount == 1)
