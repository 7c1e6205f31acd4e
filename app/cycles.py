"""The cycle as state, not a report: its calendar, rotation and attendance are computed from the
meetings' stored plans and states and from presence facts, never kept as copies that drift.

Pure: no I/O, no clock. ``app.api.routes.cycles`` loads the rows and calls these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.stages import MeetingState, Stage
from app.stages.vocabulary import Attendance


def calendar(starts_at: datetime, rhythm_weeks: int, count: int) -> list[datetime]:
    """The moments of ``count`` meetings, one every ``rhythm_weeks`` from ``starts_at``."""
    return [starts_at + timedelta(weeks=rhythm_weeks * index) for index in range(count)]


def first_rotation(
    members: Sequence[str], meetings: int, per_meeting: int
) -> list[list[str | None]]:
    """Who is client at each meeting: every member once, in order; None where nobody is left."""
    queue = iter(members)
    return [[next(queue, None) for _ in range(per_meeting)] for _ in range(meetings)]


@dataclass(frozen=True)
class CycleMeeting:
    """One meeting of the cycle as stored: its id and its state (plan, stage, attendance)."""

    id: str
    state: MeetingState
    present: frozenset[str] = frozenset()
    """Participants who connected while it ran (``MeetingPresence``)."""

    @property
    def started(self) -> bool:
        return self.state.stage is not Stage.LOBBY

    @property
    def clients(self) -> list[str | None]:
        return [c.client for c in self.state.plan.consultations]


@dataclass(frozen=True)
class AttendanceMark:
    status: Attendance
    confirmed: bool
    """False: proposed from presence, not yet confirmed by the facilitator."""


def attendance(meeting: CycleMeeting) -> dict[str, AttendanceMark]:
    """Each participant's attendance (the facilitator aside); nothing before the meeting starts."""
    if not meeting.started:
        return {}
    plan = meeting.state.plan
    marks: dict[str, AttendanceMark] = {}
    for member in plan.participants:
        if member == plan.facilitator:
            continue
        confirmed = meeting.state.attendance.get(member)
        if confirmed is not None:
            marks[member] = AttendanceMark(confirmed, confirmed=True)
        else:
            proposed = Attendance.PRESENT if member in meeting.present else Attendance.ABSENT
            marks[member] = AttendanceMark(proposed, confirmed=False)
    return marks


@dataclass
class MemberStanding:
    """Where a member stands in the cycle's rotation, for scheduling."""

    member_id: str
    client_at: str | None = None
    """The started meeting where they were client."""
    planned_at: str | None = None
    """The meeting still in its lobby where they are planned as client."""
    absent_last_time: bool = False
    absences: list[str] = field(default_factory=list)

    @property
    def due(self) -> bool:
        """Not yet client in this cycle, nor planned to be."""
        return self.client_at is None and self.planned_at is None


def standings(members: Iterable[str], meetings: Sequence[CycleMeeting]) -> list[MemberStanding]:
    """For each member (facilitators left out by the caller): client when, planned when, absent."""
    rows = {member: MemberStanding(member) for member in members}
    last_seen: dict[str, Attendance] = {}
    for meeting in meetings:  # in calendar order
        for client in meeting.clients:
            row = rows.get(client) if client is not None else None
            if row is None:
                continue
            if meeting.started and row.client_at is None:
                row.client_at = meeting.id
            elif not meeting.started and row.planned_at is None and row.client_at is None:
                row.planned_at = meeting.id
        for member, mark in attendance(meeting).items():
            if member in rows:
                last_seen[member] = mark.status
                if mark.status is Attendance.ABSENT:
                    rows[member].absences.append(meeting.id)
    for member, status in last_seen.items():
        rows[member].absent_last_time = status is Attendance.ABSENT
    return list(rows.values())


@dataclass(frozen=True)
class Slot:
    meeting_id: str
    consultation: int


def slot_of(member: str, meetings: Sequence[CycleMeeting]) -> Slot | None:
    """The lobby meeting and consultation where ``member`` is planned as client."""
    for meeting in meetings:
        if meeting.started:
            continue
        for index, client in enumerate(meeting.clients):
            if client == member:
                return Slot(meeting.id, index)
    return None


def swapped(a: str, b: str, meetings: Sequence[CycleMeeting]) -> dict[Slot, str]:
    """The client of each slot that changes when ``a`` and ``b`` swap their turns.

    A member without a planned turn takes the other's: that one is then due again.
    Raises ValueError when neither has a turn still to come.
    """
    slot_a, slot_b = slot_of(a, meetings), slot_of(b, meetings)
    if slot_a is None and slot_b is None:
        raise ValueError("neither member has a turn as client still to come in this cycle")
    changes: dict[Slot, str] = {}
    if slot_a is not None:
        changes[slot_a] = b
    if slot_b is not None:
        changes[slot_b] = a
    return changes


def proposals(rows: Sequence[MemberStanding], meetings: Sequence[CycleMeeting]) -> dict[Slot, str]:
    """Who is proposed for each lobby meeting's consultation that has no client yet: the members
    due (never client in this cycle, nor planned), in order, those absent last time last."""
    due = sorted((r for r in rows if r.due), key=lambda r: r.absent_last_time)
    free = [
        Slot(meeting.id, index)
        for meeting in meetings
        if not meeting.started
        for index, client in enumerate(meeting.clients)
        if client is None
    ]
    return {slot: row.member_id for slot, row in zip(free, due, strict=False)}
