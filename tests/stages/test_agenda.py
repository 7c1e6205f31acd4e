"""Moving through the agenda: advance, return, end, and choosing the client."""

from __future__ import annotations

import pytest

from app.stages import MeetingPlan, MeetingState, Role, Stage, agenda, apply
from app.stages import commands as c
from app.stages.errors import InvalidCommand, NotFound, StageMismatch
from app.stages.plan import ConsultationPlan
from app.stages.vocabulary import SIX_STAGES

from .factories import (
    ALL_OPENERS,
    CLIENT,
    FACILITATOR,
    KAI,
    KIM,
    NOW,
    OBSERVER,
    SCRIBE,
    STRANGER,
    TIMEKEEPER,
    act,
    advance,
    at,
    make_consultation,
    make_meeting,
    make_plan,
    make_two_consultation_plan,
    meeting_in_stage,
    run,
)


def _refused(state: MeetingState, actor: str, command: c.Command, error: type[Exception]) -> None:
    before = state.model_dump()
    with pytest.raises(error):
        apply(state, command, actor, NOW)
    assert state.model_dump() == before


def _back_to(state: MeetingState, stage: Stage) -> c.ReturnToStage:
    return c.ReturnToStage(expected_stage=state.stage, stage=stage)


def test_agenda_is_lobby_openers_six_stages_per_consultation_and_the_end() -> None:
    plan = make_two_consultation_plan(openers=(Stage.CLIENT_CHOICE, Stage.CHECK_IN))
    steps = agenda(plan)
    assert [step.stage for step in steps] == [
        Stage.LOBBY,
        Stage.CLIENT_CHOICE,
        Stage.CHECK_IN,
        *SIX_STAGES,
        *SIX_STAGES,
        Stage.ENDED,
    ]
    assert [step.consultation for step in steps] == [None] * 3 + [0] * 6 + [1] * 6 + [None]


def test_a_new_meeting_waits_in_the_lobby_without_a_timer() -> None:
    state = make_meeting()
    assert (state.step, state.stage, state.seq, state.timer) == (0, Stage.LOBBY, 0, None)
    assert len(state.consultations) == 1


def test_advance_moves_to_the_next_step_and_starts_its_timer() -> None:
    state, events = run(make_meeting(), FACILITATOR, c.AdvanceStage(expected_stage=Stage.LOBBY))
    assert state.stage is Stage.PRESENTATION
    assert state.current.consultation == 0
    [event] = events
    assert event.type == "stage_changed"
    assert event.timer is not None
    assert event.timer == state.timer
    assert (state.timer.step, state.timer.planned_seconds) == (1, 10 * 60)


def test_double_click_on_advance_is_refused_with_stage_mismatch() -> None:
    state = meeting_in_stage(Stage.CLARIFICATION)
    stale = c.AdvanceStage(expected_stage=Stage.CLARIFICATION)
    state = act(state, FACILITATOR, stale)
    assert state.stage is Stage.CONTRACT
    _refused(state, FACILITATOR, stale, StageMismatch)


def test_stage_mismatch_says_where_the_meeting_already_is() -> None:
    state = meeting_in_stage(Stage.CONTRACT)
    with pytest.raises(StageMismatch, match="already in contract, not clarification") as refused:
        apply(state, c.EndMeeting(expected_stage=Stage.CLARIFICATION), FACILITATOR, NOW)
    assert refused.value.code == "stage_mismatch"


def test_return_to_stage_with_a_stale_expected_stage_is_refused() -> None:
    state = meeting_in_stage(Stage.CONSULTATION)
    stale = c.ReturnToStage(expected_stage=Stage.CONTRACT, stage=Stage.CLARIFICATION)
    _refused(state, FACILITATOR, stale, StageMismatch)


def test_return_from_consultation_to_contract_reopens_the_contract() -> None:
    state = meeting_in_stage(Stage.CONSULTATION)
    state = act(state, KIM, c.RaiseHand())
    state = act(state, SCRIBE, c.SetReady())
    assert len(state.consultations[0].contract) == 1

    later = at(minutes=12)
    state = act(state, FACILITATOR, _back_to(state, Stage.CONTRACT), later)
    assert state.stage is Stage.CONTRACT
    assert state.timer is not None
    assert state.timer.step == state.step
    assert state.timer.planned_seconds == 5 * 60
    assert state.timer.remaining(later) == 5 * 60  # its time was not used: all of it is left
    assert (state.hands, state.ready, state.speaker) == ([], [], None)

    state = act(state, CLIENT, c.SetContract(text="Help me to find allies instead"))
    state = act(state, KIM, c.RephraseContract(text="You want allies"))
    record = state.consultations[0]
    assert [v.version for v in record.contract] == [1, 2]
    assert record.contract[-1].text == "Help me to find allies instead"
    assert record.rephrasings[-1].contract_version == 2

    state = advance(state)
    assert state.stage is Stage.CONSULTATION
    assert len(state.consultations[0].contributions) == 1  # what was said before is kept


def test_going_back_and_forward_again_resumes_each_stages_remaining_time() -> None:
    state = meeting_in_stage(Stage.CONTRACT)  # 5 minutes, entered at NOW
    state = advance(state, at(minutes=3))  # 2 minutes of the contract left
    assert state.stage is Stage.CONSULTATION
    consultation = state.timer
    assert consultation is not None
    state = act(state, FACILITATOR, _back_to(state, Stage.CONTRACT), at(minutes=10))
    assert state.timer is not None
    assert state.timer.running
    assert state.timer.remaining(at(minutes=10)) == 2 * 60
    state = advance(state, at(minutes=11))  # the consultation had 7 minutes used
    assert state.timer is not None
    assert state.timer.planned_seconds == consultation.planned_seconds
    assert state.timer.remaining(at(minutes=11)) == consultation.planned_seconds - 7 * 60


def test_a_stage_left_paused_or_in_overtime_resumes_as_it_was() -> None:
    state = meeting_in_stage(Stage.CONTRACT)
    state = act(state, FACILITATOR, c.PauseTimer(), at(minutes=1))
    state = advance(state, at(minutes=30))  # paused: 4 minutes left, however long it waited
    state = act(state, FACILITATOR, _back_to(state, Stage.CONTRACT), at(minutes=40))
    assert state.timer is not None
    assert state.timer.remaining(at(minutes=40)) == 4 * 60
    state = advance(state, at(minutes=50))  # now 6 minutes over
    state = act(state, FACILITATOR, _back_to(state, Stage.CONTRACT), at(minutes=60))
    assert state.timer is not None
    assert state.timer.remaining(at(minutes=60)) == -6 * 60


def test_return_to_a_later_stage_is_refused() -> None:
    state = meeting_in_stage(Stage.CLARIFICATION)
    _refused(state, FACILITATOR, _back_to(state, Stage.SYNTHESIS), InvalidCommand)


def test_return_to_the_current_stage_is_refused() -> None:
    state = meeting_in_stage(Stage.CONTRACT)
    with pytest.raises(InvalidCommand, match="cannot go back from contract to contract"):
        apply(state, _back_to(state, Stage.CONTRACT), FACILITATOR, NOW)


def test_return_to_a_stage_of_the_previous_consultation_is_refused() -> None:
    state = meeting_in_stage(Stage.CLARIFICATION, plan=make_two_consultation_plan(), consultation=1)
    assert state.current.consultation == 1
    _refused(state, FACILITATOR, _back_to(state, Stage.CONCLUSION), InvalidCommand)
    _refused(state, FACILITATOR, _back_to(state, Stage.CONTRACT), InvalidCommand)


def test_return_within_the_second_consultation_stays_in_it() -> None:
    state = meeting_in_stage(Stage.CONTRACT, plan=make_two_consultation_plan(), consultation=1)
    state = act(state, FACILITATOR, _back_to(state, Stage.PRESENTATION))
    assert state.current == (Stage.PRESENTATION, 1)


def test_return_from_the_first_stage_to_an_opener_is_refused() -> None:
    state = meeting_in_stage(Stage.PRESENTATION, plan=make_plan(openers=(Stage.CHECK_IN,)))
    _refused(state, FACILITATOR, _back_to(state, Stage.CHECK_IN), InvalidCommand)


def test_return_between_openers_is_allowed() -> None:
    state = meeting_in_stage(Stage.CLIENT_CHOICE, plan=make_plan(openers=ALL_OPENERS))
    state = act(state, FACILITATOR, _back_to(state, Stage.CHECK_IN))
    assert (state.stage, state.step) == (Stage.CHECK_IN, 1)


def test_return_to_the_lobby_is_refused() -> None:
    state = meeting_in_stage(Stage.FOLLOW_UP, plan=make_plan(openers=ALL_OPENERS))
    _refused(state, FACILITATOR, _back_to(state, Stage.LOBBY), InvalidCommand)


def test_advance_from_the_conclusion_ends_the_meeting_without_a_timer() -> None:
    state = meeting_in_stage(Stage.CONCLUSION)
    state, events = run(state, FACILITATOR, c.AdvanceStage(expected_stage=Stage.CONCLUSION))
    assert state.stage is Stage.ENDED
    assert state.timer is None
    assert [event.type for event in events] == ["stage_changed"]


def test_end_meeting_jumps_to_the_end_from_the_lobby() -> None:
    state = act(make_meeting(), FACILITATOR, c.EndMeeting(expected_stage=Stage.LOBBY))
    assert state.stage is Stage.ENDED
    assert state.step == len(agenda(state.plan)) - 1


def test_end_of_a_second_consultation_comes_after_both() -> None:
    state = meeting_in_stage(Stage.CONCLUSION, plan=make_two_consultation_plan(), consultation=1)
    state = advance(state)
    assert state.stage is Stage.ENDED
    assert [r.case is not None for r in state.consultations] == [True, True]


# --- choosing the client ------------------------------------------------------------------------


def _open_choice_plan() -> MeetingPlan:
    """Nobody is client yet: the facilitator chooses one in the client_choice opener."""
    return make_plan(
        openers=(Stage.CLIENT_CHOICE,), consultations=(make_consultation(client=None),)
    )


def test_advancing_into_presentation_without_a_client_is_refused_until_one_is_chosen() -> None:
    state = meeting_in_stage(Stage.CLIENT_CHOICE, plan=_open_choice_plan())
    assert state.role_of(CLIENT) is Role.CONSULTANT
    next_stage = c.AdvanceStage(expected_stage=Stage.CLIENT_CHOICE)
    with pytest.raises(InvalidCommand, match="choose a client for consultation 1"):
        apply(state, next_stage, FACILITATOR, NOW)

    state, events = run(state, FACILITATOR, c.ChooseClient(member_id=KAI))
    assert [event.type for event in events] == ["client_chosen"]
    assert state.plan.consultations[0].client == KAI
    assert state.role_of(KAI) is Role.CLIENT

    state = act(state, FACILITATOR, next_stage)
    assert state.stage is Stage.PRESENTATION
    state = act(state, KAI, c.SetCase(headline="My case", topic_type="project"))
    assert state.consultations[0].case is not None


def test_topic_proposals_are_only_a_signal_for_the_facilitator() -> None:
    state = meeting_in_stage(Stage.CLIENT_CHOICE, plan=_open_choice_plan())
    state = act(state, KIM, c.ProposeTopic(headline="My new job", topic_type="project"))
    state = act(state, KAI, c.ProposeTopic(headline="A conflict"))
    assert [(p.author, p.headline) for p in state.proposals] == [
        (KIM, "My new job"),
        (KAI, "A conflict"),
    ]
    assert [p.id for p in state.proposals] == [2, 3]  # ids are the events' seqs
    assert state.plan.consultations[0].client is None


def test_choosing_again_replaces_the_client() -> None:
    state = meeting_in_stage(Stage.CLIENT_CHOICE, plan=_open_choice_plan())
    state = act(state, FACILITATOR, c.ChooseClient(member_id=KAI))
    state = act(state, FACILITATOR, c.ChooseClient(member_id=KIM))
    assert state.role_of(KIM) is Role.CLIENT
    assert state.role_of(KAI) is Role.CONSULTANT


def test_choosing_the_scribe_as_client_frees_the_scribe_role() -> None:
    state = meeting_in_stage(Stage.CLIENT_CHOICE, plan=_open_choice_plan())
    state = act(state, FACILITATOR, c.ChooseClient(member_id=SCRIBE))
    chosen = state.plan.consultations[0]
    assert (chosen.client, chosen.scribe, chosen.timekeeper) == (SCRIBE, None, TIMEKEEPER)


def test_choosing_the_timekeeper_as_client_frees_the_timekeeper_role() -> None:
    state = meeting_in_stage(Stage.CLIENT_CHOICE, plan=_open_choice_plan())
    state = act(state, FACILITATOR, c.ChooseClient(member_id=TIMEKEEPER))
    chosen = state.plan.consultations[0]
    assert (chosen.client, chosen.scribe, chosen.timekeeper) == (TIMEKEEPER, SCRIBE, None)


@pytest.mark.parametrize("member", [FACILITATOR, OBSERVER])
def test_facilitator_and_observer_cannot_be_chosen_as_client(member: str) -> None:
    state = meeting_in_stage(Stage.CLIENT_CHOICE, plan=_open_choice_plan())
    _refused(state, FACILITATOR, c.ChooseClient(member_id=member), InvalidCommand)


def test_a_stranger_cannot_be_chosen_as_client() -> None:
    state = meeting_in_stage(Stage.CLIENT_CHOICE, plan=_open_choice_plan())
    _refused(state, FACILITATOR, c.ChooseClient(member_id=STRANGER), NotFound)


def test_a_client_for_a_consultation_the_meeting_does_not_have_is_refused() -> None:
    state = meeting_in_stage(Stage.CLIENT_CHOICE, plan=_open_choice_plan())
    _refused(state, FACILITATOR, c.ChooseClient(consultation=1, member_id=KIM), NotFound)


def test_the_client_of_one_consultation_cannot_be_the_client_of_the_other() -> None:
    plan = make_plan(
        openers=(Stage.CLIENT_CHOICE,),
        consultations=(make_consultation(), ConsultationPlan()),
    )
    state = meeting_in_stage(Stage.CLIENT_CHOICE, plan=plan)
    taken = c.ChooseClient(consultation=1, member_id=CLIENT)
    with pytest.raises(InvalidCommand, match="already the client of consultation 1"):
        apply(state, taken, FACILITATOR, NOW)
    state = act(state, FACILITATOR, c.ChooseClient(consultation=1, member_id=KIM))
    assert [p.client for p in state.plan.consultations] == [CLIENT, KIM]


def test_choosing_the_only_consultant_as_client_is_refused() -> None:
    # Fran facilitates, Olga observes: Kim is the only one who could consult.
    plan = make_plan(
        members=(FACILITATOR, KIM, OBSERVER),
        openers=(Stage.CLIENT_CHOICE,),
        consultations=(ConsultationPlan(observers=(OBSERVER,)),),
    )
    state = meeting_in_stage(Stage.CLIENT_CHOICE, plan=plan)
    with pytest.raises(InvalidCommand, match="needs at least one consultant"):
        apply(state, c.ChooseClient(member_id=KIM), FACILITATOR, NOW)


def test_roles_during_openers_are_those_of_the_first_consultation() -> None:
    state = meeting_in_stage(Stage.CHECK_IN, plan=make_two_consultation_plan(openers=ALL_OPENERS))
    assert state.consultation_index == 0
    assert (state.role_of(CLIENT), state.role_of(KIM)) == (Role.CLIENT, Role.CONSULTANT)


def test_roles_follow_the_current_consultation() -> None:
    plan = make_two_consultation_plan()
    state = meeting_in_stage(Stage.CONCLUSION, plan=plan)
    assert (state.role_of(CLIENT), state.role_of(KIM), state.role_of(OBSERVER)) == (
        Role.CLIENT,
        Role.CONSULTANT,
        Role.OBSERVER,
    )
    state = advance(state)
    assert state.current == (Stage.PRESENTATION, 1)
    assert (state.role_of(CLIENT), state.role_of(KIM), state.role_of(OBSERVER)) == (
        Role.CONSULTANT,
        Role.CLIENT,
        Role.CONSULTANT,
    )
    assert state.role_of(KAI) is Role.SCRIBE
    state = act(state, FACILITATOR, c.EndMeeting(expected_stage=Stage.PRESENTATION))
    assert state.consultation_index == 1  # after the end, the last consultation's roles


def test_stage_timers_follow_each_consultations_preset() -> None:
    plan = make_plan(
        consultations=(
            make_consultation(preset="45"),
            ConsultationPlan(client=KIM, preset="custom", minutes=(1, 2, 3, 4, 5, 6)),
        )
    )
    state = meeting_in_stage(Stage.CONSULTATION, plan=plan, seeded=False)
    assert state.timer is not None
    assert state.timer.planned_seconds == 15 * 60
    state = meeting_in_stage(Stage.SYNTHESIS, plan=plan, consultation=1, seeded=False)
    assert state.timer is not None
    assert state.timer.planned_seconds == 5 * 60


def test_opener_timers_use_the_plans_opener_minutes_or_ten() -> None:
    plan = make_plan(openers=ALL_OPENERS, opener_minutes={Stage.FOLLOW_UP: 25})
    state = meeting_in_stage(Stage.CHECK_IN, plan=plan)
    assert state.timer is not None
    assert state.timer.planned_seconds == 10 * 60
    state = advance(state)
    assert state.timer is not None
    assert state.timer.planned_seconds == 25 * 60


def test_default_opener_minutes_follow_practice() -> None:
    state = meeting_in_stage(Stage.CLIENT_CHOICE, plan=make_plan(openers=ALL_OPENERS))
    assert state.timer is not None
    assert state.timer.planned_seconds == 5 * 60
