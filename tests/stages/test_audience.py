"""Who sees what: the client's marks and, once the consultation is over, the client's record."""

from __future__ import annotations

import pytest

from app.stages import MeetingState, Stage, audience_of, changes_views, fold
from app.stages import commands as c
from app.stages.audience import keeps_private, seen_by
from app.stages.errors import Forbidden, NotFound, WrongStage
from app.stages.machine import purge
from app.stages.vocabulary import Mark

from .factories import (
    CLIENT,
    FACILITATOR,
    KAI,
    KIM,
    NOW,
    OBSERVER,
    SCRIBE,
    STRANGER,
    act,
    advance,
    make_meeting,
    make_two_consultation_plan,
    meeting_in_stage,
    run,
)


def _consultation_with_marks() -> MeetingState:
    """Stage 4 after a case, a question and a contract: Kim and Kai contribute, the client
    keeps Kim's idea and may keep Kai's."""
    state = meeting_in_stage(Stage.CONSULTATION)  # Kim's "Meet 1:1" first
    assert [x.author for x in state.consultations[0].contributions] == [KIM]
    state = act(state, KIM, c.AddContribution(kind="suggestion", text="Kim's idea"))
    kim_id = state.seq
    state = act(state, KAI, c.AddContribution(kind="reaction", text="Kai's reaction"))
    kai_id = state.seq
    state = act(state, CLIENT, c.MarkContribution(contribution_id=kim_id, mark=Mark.KEEP))
    return act(state, CLIENT, c.MarkContribution(contribution_id=kai_id, mark=Mark.MAYBE))


def _marks(state: MeetingState, member: str | None) -> list[str | None]:
    return [x.mark for x in seen_by(state, member).consultations[0].contributions]


def _finished(state: MeetingState) -> MeetingState:
    """Synthesis, conclusion with learnings, then the meeting ends."""
    state = advance(state)
    state = act(state, CLIENT, c.SetSynthesis(text="I keep Kim's idea"))
    state = advance(state)
    for member in (CLIENT, KIM, KAI):
        state = act(state, member, c.PostLearning(text=f"{member} learned"))
    state = act(state, KIM, c.SubmitEvaluation(appreciation="Kim's evaluation"))
    return advance(state)


def test_a_mark_reaches_only_the_client_and_the_facilitator() -> None:
    state = meeting_in_stage(Stage.CONSULTATION)
    contribution = state.consultations[0].contributions[0].id
    state, [event] = run(
        state, CLIENT, c.MarkContribution(contribution_id=contribution, mark="keep")
    )
    assert audience_of(event, state.plan) == {CLIENT, FACILITATOR}


def test_consultants_observers_and_displays_see_contributions_without_marks() -> None:
    state = _consultation_with_marks()
    assert _marks(state, CLIENT) == [None, Mark.KEEP, Mark.MAYBE]
    assert _marks(state, FACILITATOR) == [None, Mark.KEEP, Mark.MAYBE]
    for member in (KIM, KAI, SCRIBE, OBSERVER, "display", None):
        assert _marks(state, member) == [None, None, None]
    assert [x.mark for x in state.consultations[0].contributions] == [None, Mark.KEEP, Mark.MAYBE]


def test_while_the_consultation_runs_everyone_sees_its_record() -> None:
    state = _consultation_with_marks()
    view = seen_by(state, KIM).consultations[0]
    assert view.case is not None
    assert len(view.contributions) == 3
    assert not keeps_private(state, 0, KIM)


def test_after_the_consultation_a_consultant_keeps_only_what_they_wrote() -> None:
    state = _finished(_consultation_with_marks())
    assert state.stage is Stage.ENDED
    assert state.consultation_over(0)
    kim = seen_by(state, KIM).consultations[0]
    assert [x.text for x in kim.contributions] == ["Meet 1:1", "Kim's idea"]
    assert [x.mark for x in kim.contributions] == [None, None]
    assert list(kim.learnings) == [KIM]
    assert list(kim.evaluations) == [KIM]
    assert (kim.case, kim.questions, kim.contract, kim.synthesis) == (None, [], [], "")
    assert keeps_private(state, 0, KIM)
    assert keeps_private(state, 0, None)
    assert seen_by(state, KAI).consultations[0].evaluations == {}


def test_after_the_consultation_its_client_and_the_facilitator_see_all_of_it() -> None:
    state = _finished(_consultation_with_marks())
    for owner in (CLIENT, FACILITATOR):
        assert seen_by(state, owner).consultations[0] == state.consultations[0]
        assert not keeps_private(state, 0, owner)


def test_a_shared_record_is_seen_by_all_until_the_client_takes_it_back() -> None:
    ended = _finished(_consultation_with_marks())
    shared, [event] = run(ended, CLIENT, c.ShareRecord(consultation=0, shared=True))
    assert audience_of(event, shared.plan) is None  # shown to all
    assert changes_views(event)
    kim = seen_by(shared, KIM).consultations[0]
    assert kim.case is not None
    assert kim.synthesis == "I keep Kim's idea"
    assert [x.mark for x in kim.contributions] == [None, None, None]  # marks stay the client's
    assert len(kim.learnings) == 3
    unshared = act(shared, CLIENT, c.ShareRecord(consultation=0, shared=False))
    assert seen_by(unshared, KIM).consultations[0] == seen_by(ended, KIM).consultations[0]


def test_sharing_again_what_is_already_shared_changes_nothing() -> None:
    state = _finished(_consultation_with_marks())
    assert run(state, CLIENT, c.ShareRecord(consultation=0, shared=False))[1] == []


def test_only_the_consultations_client_shares_its_record() -> None:
    state = _finished(_consultation_with_marks())
    for member in (KIM, SCRIBE, OBSERVER):
        with pytest.raises(Forbidden):
            run(state, member, c.ShareRecord(consultation=0, shared=True))
    with pytest.raises(Forbidden):  # the facilitator is never a client
        run(state, FACILITATOR, c.ShareRecord(consultation=0, shared=True))
    second = make_two_consultation_plan()
    ended = act(make_meeting(second), FACILITATOR, c.EndMeeting(expected_stage=Stage.LOBBY))
    with pytest.raises(Forbidden):  # Kim is the second client, not the first
        run(ended, KIM, c.ShareRecord(consultation=0, shared=True))
    with pytest.raises(NotFound):
        run(state, CLIENT, c.ShareRecord(consultation=1, shared=True))
    with pytest.raises(Forbidden):
        run(state, STRANGER, c.ShareRecord(consultation=0, shared=True))


def test_the_record_cannot_be_shared_from_the_lobby() -> None:
    with pytest.raises(WrongStage):
        run(make_meeting(), CLIENT, c.ShareRecord(consultation=0, shared=True))


def test_leaving_a_conclusion_closes_that_consultation_only() -> None:
    state = meeting_in_stage(Stage.CONCLUSION, plan=make_two_consultation_plan(), seeded=False)
    state, [moved] = run(state, FACILITATOR, c.AdvanceStage(expected_stage=Stage.CONCLUSION))
    assert moved.type == "stage_changed"
    assert moved.closes == (0,)
    assert changes_views(moved)
    assert state.consultation_over(0)
    assert not state.consultation_over(1)
    # The first client, a consultant now, still shares their first record.
    state = act(state, CLIENT, c.ShareRecord(consultation=0, shared=True))
    assert state.consultations[0].shared
    state, [ended] = run(state, FACILITATOR, c.EndMeeting(expected_stage=Stage.PRESENTATION))
    assert ended.closes == (1,)


def test_a_stage_change_within_a_consultation_closes_nothing() -> None:
    state = meeting_in_stage(Stage.CONTRACT, seeded=False)
    _, [moved] = run(state, FACILITATOR, c.AdvanceStage(expected_stage=Stage.CONTRACT))
    assert moved.closes == ()
    assert not changes_views(moved)
    _, [back] = run(
        state, FACILITATOR, c.ReturnToStage(expected_stage=Stage.CONTRACT, stage=Stage.PRESENTATION)
    )
    assert back.closes == ()


def test_ending_the_meeting_early_closes_every_consultation() -> None:
    state = meeting_in_stage(Stage.CLARIFICATION, plan=make_two_consultation_plan())
    _, events = run(state, FACILITATOR, c.EndMeeting(expected_stage=Stage.CLARIFICATION))
    assert events[0].type == "stage_changed"
    assert events[0].closes == (0, 1)


def test_purging_an_ended_meeting_erases_its_content_once() -> None:
    state = _finished(_consultation_with_marks())
    state = act(state, CLIENT, c.ShareRecord(consultation=0, shared=True))
    [event] = purge(state, NOW)
    assert event.type == "content_purged"
    assert event.seq == state.seq + 1
    emptied = fold(state, [event])
    assert emptied.consultations[0] == type(emptied.consultations[0])()
    assert purge(emptied, NOW) == []


def test_only_an_ended_meeting_is_purged() -> None:
    with pytest.raises(WrongStage):
        purge(meeting_in_stage(Stage.SYNTHESIS), NOW)


def test_the_clients_signals_reach_only_the_facilitator_and_the_client() -> None:
    state = meeting_in_stage(Stage.CONSULTATION)
    state, events = run(state, CLIENT, c.SignalClient(signal="off_contract"))
    assert audience_of(events[0], state.plan) == {CLIENT, FACILITATOR}
    for owner in (CLIENT, FACILITATOR):
        assert [x.signal for x in seen_by(state, owner).consultations[0].signals] == [
            "off_contract"
        ]
    for other in (KIM, SCRIBE, OBSERVER, None):
        assert seen_by(state, other).consultations[0].signals == []


def test_the_client_takes_a_signal_back_and_only_the_owners_hear_of_it() -> None:
    state = meeting_in_stage(Stage.CONSULTATION)
    state = act(state, CLIENT, c.SignalClient(signal="please_clarify"))
    kept = state.seq
    state = act(state, CLIENT, c.SignalClient(signal="off_contract"))
    state, events = run(state, CLIENT, c.WithdrawSignal(signal_id=state.seq))
    assert [e.type for e in events] == ["signal_withdrawn"]
    assert audience_of(events[0], state.plan) == {CLIENT, FACILITATOR}
    assert [x.id for x in state.consultations[0].signals] == [kept]


def test_only_the_client_withdraws_a_signal_that_exists() -> None:
    state = act(meeting_in_stage(Stage.CONSULTATION), CLIENT, c.SignalClient(signal="off_contract"))
    before = state.model_dump()
    with pytest.raises(Forbidden):
        run(state, FACILITATOR, c.WithdrawSignal(signal_id=state.seq))
    with pytest.raises(NotFound):
        run(state, CLIENT, c.WithdrawSignal(signal_id=999))
    assert state.model_dump() == before
