"""The tables. Times are aware UTC datetimes (``utcnow()``), ids are random hex strings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, ForeignKey, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def _fk(target: str, *, nullable: bool = False) -> Column[str]:
    return Column(String(32), ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=True)


class Organizer(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    email: str = Field(unique=True, index=True, max_length=254)
    name: str = Field(max_length=80)
    password_hash: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class SetupToken(SQLModel, table=True):
    """The one-time link that creates the first organizer account."""

    token_hash: str = Field(primary_key=True, max_length=64)
    expires_at: datetime


class Group(SQLModel, table=True):
    __tablename__ = "codev_group"  # "group" is an SQL keyword

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    organizer_id: str = Field(sa_column=_fk("organizer.id"))
    name: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    retention_days: int = 365
    """Case content of meetings that ended longer ago than this is erased (``app.retention``)."""


class Member(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    group_id: str = Field(sa_column=_fk("codev_group.id"))
    name: str = Field(max_length=80)
    email: str | None = Field(default=None, max_length=254)
    language: str = Field(default="en", max_length=2)
    is_facilitator: bool = False
    """May schedule and facilitate this group's meetings."""
    organizer_id: str | None = Field(default=None, sa_column=_fk("organizer.id", nullable=True))
    """Set when this member is the organizer themselves, who then acts as them when signed in."""
    created_at: datetime = Field(default_factory=utcnow)
    mail_refused: str | None = Field(default=None, max_length=300)
    """The mail server's permanent refusal of ``email`` (a bounce); cleared when it changes."""


class Invite(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    member_id: str = Field(sa_column=_fk("member.id"))
    token_hash: str = Field(unique=True, index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class AuthSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds the token, the table only its keyed hash."""

    token_hash: str = Field(primary_key=True, max_length=64)
    organizer_id: str | None = Field(default=None, sa_column=_fk("organizer.id", nullable=True))
    member_id: str | None = Field(default=None, sa_column=_fk("member.id", nullable=True))
    invite_id: str | None = Field(default=None, sa_column=_fk("invite.id", nullable=True))
    """The invite link that opened this session: a new link ends it (a leaked link is fixed)."""
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class Cycle(SQLModel, table=True):
    """A series of meetings of one group, usually one per member so that each is client once."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    group_id: str = Field(sa_column=_fk("codev_group.id"))
    name: str = Field(max_length=120)
    starts_at: datetime
    rhythm_weeks: int
    planned_meetings: int
    created_at: datetime = Field(default_factory=utcnow)


class Meeting(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    group_id: str = Field(sa_column=_fk("codev_group.id"))
    cycle_id: str | None = Field(
        default=None,
        sa_column=Column(
            String(32), ForeignKey("cycle.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    """The cycle the meeting belongs to, if any: its rotation and attendance count there."""
    title: str = Field(max_length=120)
    scheduled_for: datetime | None = None
    video_url: str | None = Field(default=None, max_length=500)
    display_key_hash: str | None = Field(default=None, max_length=64)
    """Keyed hash of the room-display link's key (read-only view for a projector)."""
    created_at: datetime = Field(default_factory=utcnow)
    stage: str = Field(default="lobby", max_length=20)
    """Mirror of the state's current stage, for listings."""
    seq: int = 0
    """The seq of the last stored event: the meeting's compare-and-set version."""
    state: str = Field(sa_column=Column(Text, nullable=False))
    """A snapshot of the MeetingState as JSON, as of its own ``seq`` (at most ``seq``): the
    events after it are in the log. Stage and plan changes rewrite it at once."""
    ended_at: datetime | None = None
    """When the meeting ended (set by the write path): retention counts from it."""
    purged_at: datetime | None = None
    """When retention erased its case content: it is not looked at again."""


class MeetingEvent(SQLModel, table=True):
    # (meeting_id, seq) is the key: two processes racing for one seq cannot both commit.
    meeting_id: str = Field(
        sa_column=Column(String(32), ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    )
    seq: int = Field(primary_key=True)
    type: str = Field(max_length=40)
    audience: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """Only these members may see the event, as a JSON list (``event_log.encode_audience``);
    NULL: the whole meeting."""
    payload: str = Field(sa_column=Column(Text, nullable=False))
    """The event exactly as sent on the wire."""


class ProcessedCommand(SQLModel, table=True):
    """Makes every command idempotent: a retried ``cid`` gets the original result."""

    meeting_id: str = Field(
        sa_column=Column(String(32), ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    )
    actor: str = Field(primary_key=True, max_length=64)
    cid: str = Field(primary_key=True, max_length=64)
    seq: int
    """The meeting's seq after the command: its last event, or the seq it found for a no-op."""
    at: datetime = Field(default_factory=utcnow)


class OutboxMail(SQLModel, table=True):
    """A mail to send: written in the request's transaction, sent later by ``app.mail.outbox``.

    The message is erased once sent or given up on: it may hold an invite link.
    """

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    member_id: str | None = Field(
        default=None,
        sa_column=Column(
            String(32), ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    """Null once the member is deleted: their cancellations still go out."""
    to_address: str = Field(max_length=254)
    kind: str = Field(max_length=20)
    """invite, meeting, cancel, reminder or prepare."""
    subject: str = Field(max_length=300)
    message: str = Field(sa_column=Column(Text, nullable=False))
    """The whole RFC 5322 message; empty once sent or failed."""
    status: str = Field(default="pending", max_length=10, index=True)
    """pending, sent or failed (for good)."""
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class MeetingCalendar(SQLModel, table=True):
    """What calendars know of a meeting: its iCalendar SEQUENCE and the reminders sent."""

    meeting_id: str = Field(
        sa_column=Column(String(32), ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    )
    sequence: int = 0
    reminded_for: datetime | None = None
    """The ``scheduled_for`` the participants' reminder was sent for (a new date: a new one)."""
    prepare_reminded_for: datetime | None = None


class CalendarFeed(SQLModel, table=True):
    """A member's private calendar feed: the URL holds a token, the table its keyed hash."""

    token_hash: str = Field(primary_key=True, max_length=64)
    member_id: str = Field(sa_column=_fk("member.id"))
    created_at: datetime = Field(default_factory=utcnow)


class MeetingPresence(SQLModel, table=True):
    """A participant connected to a live meeting: the fact attendance is proposed from."""

    meeting_id: str = Field(
        sa_column=Column(String(32), ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    )
    member_id: str = Field(
        sa_column=Column(String(32), ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    first_seen_at: datetime = Field(default_factory=utcnow)


class CharterVersion(SQLModel, table=True):
    """One saved text of a group's charter; each save is a new version, none is rewritten."""

    __table_args__ = (UniqueConstraint("group_id", "version"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    group_id: str = Field(sa_column=_fk("codev_group.id"))
    version: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    saved_by_member_id: str | None = Field(
        default=None,
        sa_column=Column(
            String(32), ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    saved_by_organizer_id: str | None = Field(
        default=None,
        sa_column=Column(
            String(32), ForeignKey("organizer.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    """Who saved it, by id (a name is looked up when shown, so deleting them leaves no trace)."""
    created_at: datetime = Field(default_factory=utcnow)


class CharterAcceptance(SQLModel, table=True):
    """A member agreed to one version of the charter, at ``accepted_at``."""

    member_id: str = Field(
        sa_column=Column(String(32), ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    )
    charter_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("charterversion.id", ondelete="CASCADE"), primary_key=True
        )
    )
    accepted_at: datetime = Field(default_factory=utcnow)
