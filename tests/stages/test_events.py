"""Events: numbered without gaps, folded into the same state ``apply`` returns, stored as JSON."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from app.stages import (
    COMMAND_ADAPTER,
    EVENT_ADAPTER,
    Event,
    MeetingState,
    PreviousPlan,
    Stage,
    evolve,
    fold,
    redacted,
)
from app.stages import commands as c
from app.stages import events as e
from app.stages.state import Ratings

from .factories import (
    ALL_OPENERS,
    CLIENT,
    FACILITATOR,
    KAI,
    KIM,
    NOW,
    OBSERVER,
    SCRIBE,
    TIMEKEEPER,
    advance,
    at,
    make_consultation,
    make_meeting,
    make_plan,
    make_two_consultation_plan,
    run,
)


def _whole_meeting(*, no_trace: bool = False) -> tuple[MeetingState, MeetingState, list[Event]]:
    """Two consultations, every opener, a bit of everything; returns (initial, final, events)."""
    plan = make_two_consultation_plan(openers=ALL_OPENERS, no_trace=no_trace)
    plan = plan.model_copy(
        update={"consultations": (make_consultation(client=None), plan.consultations[1])}
    )
    initial = make_meeting(plan)
    state, log = initial, []
    minute = 0

    def do(actor: str, command: c.Command) -> None:
        nonlocal state, minute
        minute += 1
        state, events = run(state, actor, command, at(minutes=minute))
        log.extend(events)

    def next_stage() -> None:
        do(FACILITATOR, c.AdvanceStage(expected_stage=state.stage))

    next_stage()  # check-in
    do(KIM, c.SetReady())
    do(FACILITATOR, c.AddPrivateNote(text="Kim seems tired"))
    next_stage()  # follow-up
    do(KAI, c.ReportFollowUp(text="I did half of it"))
    do(KIM, c.RaiseHand())
    do(FACILITATOR, c.CallOn(member_id=KIM))
    next_stage()  # client choice
    do(CLIENT, c.ProposeTopic(headline="My boss"))
    do(FACILITATOR, c.ChooseClient(member_id=CLIENT))
    next_stage()  # presentation
    do(CLIENT, c.SetCase(headline="My boss", topic_type="preoccupation", context="..."))
    do(TIMEKEEPER, c.PauseTimer())
    do(TIMEKEEPER, c.ExtendTimer(seconds=120))
    do(TIMEKEEPER, c.ResumeTimer())
    next_stage()  # clarification
    do(KIM, c.AskQuestion(text="Since when?"))
    do(CLIENT, c.AnswerQuestion(question_id=state.seq, text="A year"))
    do(KIM, c.AskQuestion(text="Who else knows?"))
    do(CLIENT, c.MarkAnsweredAloud(question_id=state.seq))
    do(KIM, c.AskQuestion(text="Should you not just fire him?"))
    do(FACILITATOR, c.SetItemAside(item_id=state.seq))
    do(KIM, c.AskQuestion(text="Sorry, since when?"))
    do(KIM, c.EditItem(item_id=state.seq, text="Since when, exactly?"))
    do(KIM, c.WithdrawItem(item_id=state.seq - 1))
    next_stage()  # contract
    do(CLIENT, c.SetContract(text="Help me to talk to my boss", help_wanted=("ideas",)))
    do(SCRIBE, c.RephraseContract(text="You want words"))
    next_stage()  # consultation
    do(KIM, c.AddContribution(kind="suggestion", text="Ask for a 1:1"))
    contribution = state.seq
    do(FACILITATOR, c.ReturnToStage(expected_stage=Stage.CONSULTATION, stage=Stage.CONTRACT))
    do(CLIENT, c.SetContract(text="Help me to find the right words"))
    next_stage()  # consultation again
    do(CLIENT, c.MarkContribution(contribution_id=contribution, mark="keep"))
    do(CLIENT, c.SignalClient(signal="please_clarify", contribution_id=contribution))
    do(CLIENT, c.SignalClient(signal="off_contract"))
    do(CLIENT, c.WithdrawSignal(signal_id=state.seq))
    do(SCRIBE, c.AddScribeNote(text="Kim: ask for a 1:1"))
    do(KAI, c.RaiseHand())
    do(KAI, c.LowerHand())
    do(TIMEKEEPER, c.RaiseHand())
    do(FACILITATOR, c.ClearQueue())
    next_stage()  # synthesis
    do(CLIENT, c.SetSynthesis(text="I keep the 1:1"))
    do(CLIENT, c.SaveActionItem(action="Book a 1:1", due=date(2025, 3, 11)))
    item = state.seq
    do(CLIENT, c.SaveActionItem(item_id=item, action="Book a 1:1 this week"))
    do(CLIENT, c.SaveActionItem(action="Write my points"))
    do(CLIENT, c.RemoveActionItem(item_id=state.seq))
    next_stage()  # conclusion
    do(CLIENT, c.PostLearning(text="Say it plainly"))
    do(OBSERVER, c.SubmitEvaluation(appreciation="Warm", ratings=Ratings(climate=5)))
    do(KIM, c.SetReady(ready=True))
    do(KIM, c.SetReady(ready=False))
    do(FACILITATOR, c.ConfirmAttendance(member_id=KAI, status="excused"))
    do(FACILITATOR, c.ShowCharter(version=1, text="We keep what is said here"))
    do(FACILITATOR, c.HideCharter())
    do(FACILITATOR, c.SetDisplayTimer(shown=False))
    next_stage()  # second consultation: presentation
    do(CLIENT, c.ShareRecord(consultation=0, shared=True))
    do(KIM, c.SetCase(headline="My team", topic_type="project"))
    do(FACILITATOR, c.EndMeeting(expected_stage=Stage.PRESENTATION))
    return initial, state, log


def test_events_are_numbered_from_one_without_gaps() -> None:
    _, final, events = _whole_meeting()
    assert [event.seq for event in events] == list(range(1, len(events) + 1))
    assert final.seq == len(events)


def test_each_event_follows_the_state_it_was_decided_on() -> None:
    state = advance(make_meeting(), NOW)
    state = advance(state, NOW)
    new, [event] = run(state, KIM, c.AskQuestion(text="Why?"))
    assert event.seq == state.seq + 1 == new.seq


def test_folding_the_events_from_scratch_gives_the_same_state() -> None:
    initial, final, events = _whole_meeting()
    assert fold(initial, events).model_dump() == final.model_dump()
    assert fold(initial, events) == final
    assert initial.seq == 0  # fold works on a copy


def test_events_and_state_survive_a_json_round_trip() -> None:
    initial, final, events = _whole_meeting()
    stored = [EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(event)) for event in events]
    assert stored == events
    assert fold(initial, stored) == final
    assert MeetingState.model_validate_json(final.model_dump_json()) == final


def test_every_event_type_appears_in_the_whole_meeting() -> None:
    _, _, events = _whole_meeting()
    kinds = {event.type for event in events}
    every = set(EVENT_ADAPTER.json_schema()["discriminator"]["mapping"])
    assert len(every) == 38
    # Not commands' events: the end of a no-trace meeting, the wire's stand-in, and the
    # lobby replan from scheduling (tests/stages/test_replan.py).
    assert every - kinds == {"content_purged", "redacted", "plan_changed"}


def test_a_no_trace_meeting_purges_its_content_when_it_ends() -> None:
    initial, final, events = _whole_meeting(no_trace=True)
    end, purge = events[-2:]
    assert (end.type, purge.type) == ("stage_changed", "content_purged")
    assert purge.seq == end.seq + 1 == final.seq
    assert all(record == type(record)() for record in final.consultations)
    assert (final.private_notes, final.proposals, final.follow_up_reports) == ([], [], [])
    assert final.plan.previous_plan == PreviousPlan(reporter=KAI)  # who, not what
    assert final.plan.consultations[0].client == CLIENT  # roles stay
    assert fold(initial, events) == final


def test_a_purged_meeting_with_a_follow_up_can_be_stored_and_reloaded() -> None:
    _, final, _ = _whole_meeting(no_trace=True)
    assert MeetingState.model_validate_json(final.model_dump_json()) == final


def test_a_meeting_with_traces_keeps_its_content_when_it_ends() -> None:
    _, final, events = _whole_meeting()
    assert events[-1].type == "stage_changed"
    assert final.consultations[0].case is not None
    assert final.plan.previous_plan is not None
    assert final.plan.previous_plan.headline


def test_no_trace_purge_without_a_previous_plan() -> None:
    state = make_meeting(make_plan(no_trace=True))
    state, events = run(state, FACILITATOR, c.EndMeeting(expected_stage=Stage.LOBBY))
    assert [event.type for event in events] == ["stage_changed", "content_purged"]
    assert state.plan.previous_plan is None


def _started() -> MeetingState:
    return advance(make_meeting())


def test_evolve_refuses_an_event_out_of_order() -> None:
    state = _started()
    before = state.model_dump()
    for seq in (state.seq, state.seq + 2, 0):
        with pytest.raises(ValueError, match=f"event {seq} does not follow {state.seq}"):
            evolve(state, e.HandRaised(seq=seq, at=NOW, member_id=KIM))
    assert state.model_dump() == before


def test_evolve_refuses_a_redacted_event_and_leaves_the_state_alone() -> None:
    state = _started()
    before = state.model_dump()
    event = redacted(
        e.PrivateNoteAdded.model_validate(
            {
                "seq": state.seq + 1,
                "at": NOW,
                "note": {"id": 2, "author": KIM, "text": "x", "at": NOW},
            }
        )
    )
    assert (event.type, event.seq, event.at) == ("redacted", state.seq + 1, NOW)
    with pytest.raises(ValueError, match="redacted"):
        evolve(state, event)
    assert state.model_dump() == before
    with pytest.raises(ValueError, match="redacted"):
        fold(state, [event])


def test_evolve_applies_one_event_in_place() -> None:
    state = _started()
    evolve(state, e.HandRaised(seq=state.seq + 1, at=NOW, member_id=KIM))
    assert (state.hands, state.seq) == ([KIM], 2)


def test_a_redacted_event_keeps_only_its_place_in_the_sequence() -> None:
    event = e.TopicProposed.model_validate(
        {
            "seq": 7,
            "at": NOW,
            "proposal": {
                "id": 7,
                "author": KIM,
                "headline": "h",
                "topic_type": "problem",
                "at": NOW,
            },
        }
    )
    assert redacted(event).model_dump(mode="json") == {
        "seq": 7,
        "at": "2025-03-04T09:00:00Z",
        "type": "redacted",
    }


# --- commands as they arrive from the wire ------------------------------------------------------


def test_commands_are_parsed_by_their_type() -> None:
    command = COMMAND_ADAPTER.validate_python({"type": "advance_stage", "expected_stage": "lobby"})
    assert command == c.AdvanceStage(expected_stage=Stage.LOBBY)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "launch_rocket"},
        {"type": "raise_hand", "loudly": True},
        {"type": "ask_question", "text": ""},
        {"type": "ask_question", "text": "x" * 2001},
        {"type": "extend_timer", "seconds": 0},
        {"type": "extend_timer", "seconds": 3601},
        {"type": "choose_client", "consultation": 2, "member_id": "kim"},
        {"type": "answer_question", "question_id": 0, "text": "no"},
        {"type": "set_contract", "text": "help", "help_wanted": ["ideas"] * 6},
        {"type": "advance_stage", "expected_stage": "intermission"},
    ],
)
def test_malformed_commands_are_refused_before_the_machine(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        COMMAND_ADAPTER.validate_python(data)


def test_commands_are_frozen() -> None:
    command = c.AskQuestion(text="Why?")
    with pytest.raises(ValidationError):
        command.text = "How?"  # type: ignore[misc]
