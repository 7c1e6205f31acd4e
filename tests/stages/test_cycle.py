"""Attendance and the group's charter inside a meeting: facilitator commands, public events."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.stages import COMMAND_ADAPTER, MeetingState, Stage, apply, audience_of
from app.stages import commands as c
from app.stages.errors import Forbidden, InvalidCommand, NotFound, WrongStage
from app.stages.vocabulary import Attendance

from .factories import (
    CLIENT,
    FACILITATOR,
    KIM,
    NOW,
    STRANGER,
    act,
    make_meeting,
    meeting_in_stage,
    run,
)

CHARTER = "What is said here stays here. We come to every meeting."


def _refused(state: MeetingState, actor: str, command: c.Command, error: type[Exception]) -> None:
    before = state.model_dump()
    with pytest.raises(error):
        apply(state, command, actor, NOW)
    assert state.model_dump() == before


def test_the_facilitator_confirms_a_members_attendance_for_everyone_to_see() -> None:
    state = meeting_in_stage(Stage.PRESENTATION)
    state, events = run(
        state, FACILITATOR, c.ConfirmAttendance(member_id=KIM, status=Attendance.EXCUSED)
    )
    assert [e.type for e in events] == ["attendance_confirmed"]
    assert audience_of(events[0], state.plan) is None  # the whole meeting sees it
    assert state.attendance == {KIM: Attendance.EXCUSED}
    state = act(state, FACILITATOR, c.ConfirmAttendance(member_id=KIM, status=Attendance.PRESENT))
    assert state.attendance == {KIM: Attendance.PRESENT}


def test_attendance_can_still_be_confirmed_after_the_meeting_ended() -> None:
    state = act(make_meeting(), FACILITATOR, c.EndMeeting(expected_stage=Stage.LOBBY))
    assert state.stage is Stage.ENDED
    state = act(state, FACILITATOR, c.ConfirmAttendance(member_id=CLIENT, status="absent"))
    assert state.attendance == {CLIENT: Attendance.ABSENT}


def test_confirming_the_same_attendance_again_changes_nothing() -> None:
    state = meeting_in_stage(Stage.PRESENTATION)
    command = c.ConfirmAttendance(member_id=KIM, status=Attendance.PRESENT)
    state = act(state, FACILITATOR, command)
    new, events = run(state, FACILITATOR, command)
    assert events == []
    assert new.attendance == state.attendance


def test_only_the_facilitator_confirms_attendance_and_not_in_the_lobby() -> None:
    command = c.ConfirmAttendance(member_id=KIM, status=Attendance.PRESENT)
    _refused(meeting_in_stage(Stage.PRESENTATION), CLIENT, command, Forbidden)
    _refused(make_meeting(), FACILITATOR, command, WrongStage)


def test_attendance_of_someone_outside_the_meeting_or_of_the_facilitator_is_refused() -> None:
    state = meeting_in_stage(Stage.PRESENTATION)
    stranger = c.ConfirmAttendance(member_id=STRANGER, status=Attendance.PRESENT)
    _refused(state, FACILITATOR, stranger, NotFound)
    itself = c.ConfirmAttendance(member_id=FACILITATOR, status=Attendance.PRESENT)
    _refused(state, FACILITATOR, itself, InvalidCommand)


def test_an_unknown_attendance_status_is_refused_before_the_machine() -> None:
    with pytest.raises(ValidationError):
        COMMAND_ADAPTER.validate_python(
            {"type": "confirm_attendance", "member_id": KIM, "status": "late"}
        )


def test_the_facilitator_shows_the_charter_to_the_room_until_hiding_it() -> None:
    state, events = run(make_meeting(), FACILITATOR, c.ShowCharter(version=2, text=CHARTER))
    assert [e.type for e in events] == ["charter_shown"]
    assert state.charter is not None
    assert (state.charter.version, state.charter.text) == (2, CHARTER)
    assert state.view_for(KIM)["charter"] == {"version": 2, "text": CHARTER}
    state, events = run(state, FACILITATOR, c.HideCharter())
    assert [e.type for e in events] == ["charter_hidden"]
    assert state.charter is None


def test_showing_the_shown_charter_or_hiding_a_hidden_one_changes_nothing() -> None:
    assert run(make_meeting(), FACILITATOR, c.HideCharter())[1] == []
    state = act(make_meeting(), FACILITATOR, c.ShowCharter(version=1, text=CHARTER))
    assert run(state, FACILITATOR, c.ShowCharter(version=1, text=CHARTER))[1] == []


def test_a_member_cannot_show_the_charter() -> None:
    _refused(make_meeting(), KIM, c.ShowCharter(version=1, text=CHARTER), Forbidden)


def test_attendance_and_the_shown_charter_survive_the_no_trace_purge() -> None:
    state = meeting_in_stage(
        Stage.CONCLUSION, plan=make_meeting().plan.model_copy(update={"no_trace": True})
    )
    state = act(state, FACILITATOR, c.ConfirmAttendance(member_id=KIM, status="present"))
    state = act(state, FACILITATOR, c.EndMeeting(expected_stage=Stage.CONCLUSION))
    assert state.stage is Stage.ENDED
    assert state.attendance == {KIM: Attendance.PRESENT}


def test_the_facilitator_hides_the_timer_from_the_room_display_and_shows_it_again() -> None:
    state = meeting_in_stage(Stage.PRESENTATION)
    assert state.display_timer is True
    state, events = run(state, FACILITATOR, c.SetDisplayTimer(shown=False))
    assert [e.type for e in events] == ["display_timer_set"]
    assert state.display_timer is False
    assert state.view_for(None)["display_timer"] is False  # what the display's snapshot says
    assert state.timer is not None  # the timer itself goes on
    assert run(state, FACILITATOR, c.SetDisplayTimer(shown=False))[1] == []
    state = act(state, FACILITATOR, c.SetDisplayTimer(shown=True))
    assert state.display_timer is True


def test_only_the_facilitator_hides_the_displays_timer() -> None:
    _refused(meeting_in_stage(Stage.PRESENTATION), KIM, c.SetDisplayTimer(shown=False), Forbidden)
