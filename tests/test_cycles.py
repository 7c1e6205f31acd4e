"""The cycle's pure core: its calendar, first rotation, standings, swaps and proposals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.cycles import (
    CycleMeeting,
    Slot,
    attendance,
    calendar,
    first_rotation,
    proposals,
    standings,
    swapped,
)
from app.stages import ConsultationPlan, MeetingPlan, Participant, Stage, new_meeting
from app.stages.vocabulary import Attendance

START = datetime(2027, 1, 12, 17, 0, tzinfo=UTC)
PEOPLE = ("fran", "ana", "ben", "cleo")


def _meeting(
    meeting_id: str,
    client: str | None,
    *,
    started: bool = False,
    present: frozenset[str] | set[str] = frozenset(),
    confirmed: dict[str, Attendance] | None = None,
) -> CycleMeeting:
    plan = MeetingPlan(
        facilitator="fran",
        participants={p: Participant(name=p) for p in PEOPLE},
        openers=() if client else (Stage.CLIENT_CHOICE,),
        consultations=(ConsultationPlan(client=client),),
    )
    state = new_meeting(meeting_id, plan)
    if started:
        state = state.model_copy(update={"step": 1, "attendance": confirmed or {}})
    return CycleMeeting(meeting_id, state, frozenset(present))


def test_the_calendar_puts_a_meeting_every_n_weeks_from_the_first() -> None:
    moments = calendar(START, 2, 3)
    assert [m.isoformat() for m in moments] == [
        "2027-01-12T17:00:00+00:00",
        "2027-01-26T17:00:00+00:00",
        "2027-02-09T17:00:00+00:00",
    ]


def test_the_first_rotation_gives_each_member_one_turn_and_leaves_extra_slots_open() -> None:
    assert first_rotation(["a", "b", "c"], 2, 2) == [["a", "b"], ["c", None]]
    assert first_rotation(["a"], 2, 1) == [["a"], [None]]


def test_nothing_is_proposed_about_attendance_before_a_meeting_starts() -> None:
    assert attendance(_meeting("m1", "ana")) == {}


def test_attendance_is_proposed_from_presence_and_confirmation_wins() -> None:
    meeting = _meeting(
        "m1", "ana", started=True, present={"ana", "ben"}, confirmed={"ben": Attendance.EXCUSED}
    )
    marks = attendance(meeting)
    assert {m: (v.status.value, v.confirmed) for m, v in marks.items()} == {
        "ana": ("present", False),
        "ben": ("excused", True),
        "cleo": ("absent", False),
    }


def test_standings_say_who_was_client_who_is_planned_who_is_due_and_who_was_absent() -> None:
    meetings = [
        _meeting("m1", "ana", started=True, present={"ana", "ben"}),
        _meeting("m2", "ben"),
    ]
    rows = {r.member_id: r for r in standings(["ana", "ben", "cleo"], meetings)}
    assert (rows["ana"].client_at, rows["ana"].planned_at, rows["ana"].due) == ("m1", None, False)
    assert (rows["ben"].planned_at, rows["ben"].due) == ("m2", False)
    assert rows["cleo"].due is True
    assert rows["cleo"].absent_last_time is True
    assert rows["ana"].absent_last_time is False


def test_a_swap_exchanges_two_planned_turns_or_hands_one_over() -> None:
    meetings = [_meeting("m1", "ana"), _meeting("m2", "ben")]
    assert swapped("ana", "ben", meetings) == {Slot("m1", 0): "ben", Slot("m2", 0): "ana"}
    assert swapped("ben", "cleo", meetings) == {Slot("m2", 0): "cleo"}
    with pytest.raises(ValueError, match="neither member"):
        swapped("cleo", "fran", meetings)


def test_a_started_meeting_is_never_part_of_a_swap() -> None:
    meetings = [_meeting("m1", "ana", started=True), _meeting("m2", "ben")]
    assert swapped("ana", "ben", meetings) == {Slot("m2", 0): "ana"}


def test_free_turns_go_to_the_members_due_those_absent_last_time_last() -> None:
    meetings = [
        _meeting("m1", "ana", started=True, present={"ana", "cleo"}),
        _meeting("m2", None),
        _meeting("m3", None),
    ]
    rows = standings(["ana", "ben", "cleo"], meetings)
    assert proposals(rows, meetings) == {Slot("m2", 0): "cleo", Slot("m3", 0): "ben"}
