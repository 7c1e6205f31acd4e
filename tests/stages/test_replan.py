"""Changing the plan before the meeting starts: a scheduling act, allowed only in the lobby."""

from __future__ import annotations

import pytest

from app.stages import commands as c
from app.stages.errors import WrongStage
from app.stages.machine import fold, replan
from app.stages.plan import ConsultationPlan
from app.stages.vocabulary import Stage
from tests.stages.factories import (
    CLIENT,
    FACILITATOR,
    KAI,
    KIM,
    NOW,
    act,
    make_meeting,
    make_plan,
    make_two_consultation_plan,
)


def test_a_new_plan_in_the_lobby_replaces_roles_and_drops_people_who_left() -> None:
    meeting = act(make_meeting(), KIM, c.AddPrivateNote(text="before we start"))
    smaller = make_plan(
        members=(FACILITATOR, CLIENT, KAI), consultations=(ConsultationPlan(client=CLIENT),)
    )
    events = replan(meeting, smaller, NOW)
    after = fold(meeting, events)
    assert [e.type for e in events] == ["plan_changed"]
    assert events[0].seq == meeting.seq + 1
    assert set(after.plan.participants) == {FACILITATOR, CLIENT, KAI}
    assert after.role_of(KIM) is None
    assert after.private_notes == meeting.private_notes  # nothing anyone typed is lost


def test_a_second_consultation_added_in_the_lobby_gets_its_own_record() -> None:
    meeting = make_meeting()
    after = fold(meeting, replan(meeting, make_two_consultation_plan(), NOW))
    assert len(after.consultations) == 2


def test_the_plan_cannot_change_once_the_meeting_has_started() -> None:
    started = act(make_meeting(), FACILITATOR, c.AdvanceStage(expected_stage=Stage.LOBBY))
    before = started.model_dump()
    with pytest.raises(WrongStage, match="only in the lobby"):
        replan(started, make_two_consultation_plan(), NOW)
    assert started.model_dump() == before
