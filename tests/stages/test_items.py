"""What each stage produces: questions, contract, contributions, synthesis, learnings, notes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from pydantic import ValidationError

from app.stages import COMMAND_ADAPTER, MeetingState, Role, Stage, apply, audience_of
from app.stages import commands as c
from app.stages import state as s
from app.stages.errors import Forbidden, LimitReached, NotFound, WrongStage
from app.stages.state import Ratings
from app.stages.vocabulary import ClientSignal, Mark

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
    at,
    make_meeting,
    make_plan,
    make_previous_plan,
    meeting_in_stage,
    run,
)


def _refused(state: MeetingState, actor: str, command: c.Command, error: type[Exception]) -> None:
    before = state.model_dump()
    with pytest.raises(error):
        apply(state, command, actor, NOW)
    assert state.model_dump() == before


def _no_op(state: MeetingState, actor: str, command: c.Command) -> None:
    new, events = run(state, actor, command)
    assert events == []
    assert new.model_dump() == state.model_dump()


# --- openers ------------------------------------------------------------------------------------


def test_previous_client_reports_on_their_action_plan() -> None:
    plan = make_plan(openers=ALL_OPENERS, previous_plan=make_previous_plan(reporter=KIM))
    state = meeting_in_stage(Stage.FOLLOW_UP, plan=plan)
    state = act(state, KIM, c.ReportFollowUp(text="Two newcomers got a buddy"), at(minutes=3))
    [report] = state.follow_up_reports
    assert (report.author, report.text, report.at, report.id) == (
        KIM,
        "Two newcomers got a buddy",
        at(minutes=3),
        state.seq,
    )


@pytest.mark.parametrize("member", [CLIENT, KAI, SCRIBE])
def test_only_the_previous_client_reports_on_the_action_plan(member: str) -> None:
    plan = make_plan(openers=ALL_OPENERS, previous_plan=make_previous_plan(reporter=KIM))
    state = meeting_in_stage(Stage.FOLLOW_UP, plan=plan)
    with pytest.raises(Forbidden, match="only the previous client"):
        apply(state, c.ReportFollowUp(text="I did it"), member, NOW)


def test_report_follow_up_is_forbidden_when_the_plan_has_no_previous_plan() -> None:
    # A plan built without validation: the machine must not trust the follow-up's presence.
    plan = make_plan(openers=ALL_OPENERS)
    bare = plan.model_copy(update={"previous_plan": None})
    state = meeting_in_stage(Stage.FOLLOW_UP, plan=plan).model_copy(update={"plan": bare})
    with pytest.raises(Forbidden, match="only the previous client"):
        apply(state, c.ReportFollowUp(text="I did it"), KAI, NOW)


# --- 1 presentation, 2 clarification ------------------------------------------------------------


def test_client_sets_the_case_and_may_rewrite_it() -> None:
    state = meeting_in_stage(Stage.PRESENTATION, seeded=False)
    first = c.SetCase(headline="A team in turmoil", topic_type="problem", question="How can I?")
    state = act(state, CLIENT, first)
    state = act(state, CLIENT, c.SetCase(headline="A project to rescue", topic_type="project"))
    case = state.consultations[0].case
    assert case is not None
    assert (case.headline, case.topic_type, case.question) == ("A project to rescue", "project", "")


def test_consultant_cannot_interrupt_the_presentation() -> None:
    state = meeting_in_stage(Stage.PRESENTATION)
    _refused(state, KIM, c.SetCase(headline="Mine", topic_type="problem"), Forbidden)
    _refused(state, KIM, c.RaiseHand(), WrongStage)  # nobody raises a hand here


def test_consultant_may_take_private_notes_during_the_presentation() -> None:
    state = act(meeting_in_stage(Stage.PRESENTATION), KIM, c.AddPrivateNote(text="budget?"))
    assert [n.author for n in state.private_notes] == [KIM]


def test_consultants_ask_and_the_client_answers() -> None:
    state = meeting_in_stage(Stage.CLARIFICATION, seeded=False)
    state = act(state, KIM, c.AskQuestion(text="Since when?"), at(minutes=1))
    state = act(state, TIMEKEEPER, c.AskQuestion(text="Who else knows?"), at(minutes=2))
    first, second = state.consultations[0].questions
    state = act(state, CLIENT, c.AnswerQuestion(question_id=second.id, text="Nobody"), at(3))
    first, second = state.consultations[0].questions
    assert (first.author, first.answer, first.answered_at) == (KIM, None, None)
    assert (second.author, second.answer, second.answered_at) == (TIMEKEEPER, "Nobody", at(3))


def test_answering_a_question_that_does_not_exist_is_refused() -> None:
    state = meeting_in_stage(Stage.CLARIFICATION)
    _refused(state, CLIENT, c.AnswerQuestion(question_id=999, text="?"), NotFound)


def test_the_client_marks_a_question_answered_aloud_in_one_command_and_may_take_it_back() -> None:
    state = meeting_in_stage(Stage.CLARIFICATION, seeded=False)
    state = act(state, KIM, c.AskQuestion(text="Since when?"))
    state = act(state, KAI, c.AskQuestion(text="Who else knows?"))
    first, second = state.consultations[0].questions
    state, events = run(state, CLIENT, c.MarkAnsweredAloud(question_id=first.id))
    assert [e.type for e in events] == ["question_answered_aloud"]
    assert audience_of(events[0], state.plan) is None  # the room sees it, like a written answer
    first, second = state.consultations[0].questions
    assert (first.answered_aloud, first.answer) == (True, None)
    assert second.answered_aloud is False
    state = act(state, CLIENT, c.MarkAnsweredAloud(question_id=first.id, answered=False))
    assert state.consultations[0].questions[0].answered_aloud is False


def test_marking_a_question_answered_aloud_twice_changes_nothing() -> None:
    state = act(meeting_in_stage(Stage.CLARIFICATION), KIM, c.AskQuestion(text="Since when?"))
    question = state.consultations[0].questions[-1]
    _no_op(state, CLIENT, c.MarkAnsweredAloud(question_id=question.id, answered=False))
    state = act(state, CLIENT, c.MarkAnsweredAloud(question_id=question.id))
    _no_op(state, CLIENT, c.MarkAnsweredAloud(question_id=question.id))


def test_only_the_client_marks_an_existing_question_answered_aloud_during_clarification() -> None:
    state = act(meeting_in_stage(Stage.CLARIFICATION), KIM, c.AskQuestion(text="Since when?"))
    question = state.consultations[0].questions[-1]
    _refused(state, KIM, c.MarkAnsweredAloud(question_id=question.id), Forbidden)
    _refused(state, CLIENT, c.MarkAnsweredAloud(question_id=999), NotFound)
    later = act(state, FACILITATOR, c.AdvanceStage(expected_stage=Stage.CLARIFICATION))
    _refused(later, CLIENT, c.MarkAnsweredAloud(question_id=question.id), WrongStage)


def test_observer_cannot_ask_questions() -> None:
    state = meeting_in_stage(Stage.CLARIFICATION)
    _refused(state, OBSERVER, c.AskQuestion(text="Why?"), Forbidden)


# --- 3 contract ---------------------------------------------------------------------------------


def test_contract_versions_count_up_and_rephrasings_name_the_version() -> None:
    state = meeting_in_stage(Stage.CONTRACT, seeded=False)
    state = act(state, KIM, c.RephraseContract(text="Before any contract"))
    wanted = c.SetContract(text="Help me to", help_wanted=("ideas", "experiences"))
    state = act(state, CLIENT, wanted)
    state = act(state, KAI, c.RephraseContract(text="You want ideas"))
    record = state.consultations[0]
    assert [(v.version, v.help_wanted) for v in record.contract] == [(1, ("ideas", "experiences"))]
    assert [r.contract_version for r in record.rephrasings] == [0, 1]


# --- 4 consultation -----------------------------------------------------------------------------


def test_client_marks_a_contribution_then_changes_their_mind() -> None:
    state = meeting_in_stage(Stage.CONSULTATION)
    contribution = state.consultations[0].contributions[0].id
    state = act(state, CLIENT, c.MarkContribution(contribution_id=contribution, mark=Mark.KEEP))
    _no_op(state, CLIENT, c.MarkContribution(contribution_id=contribution, mark=Mark.KEEP))
    state = act(state, CLIENT, c.MarkContribution(contribution_id=contribution, mark=None))
    assert state.consultations[0].contributions[0].mark is None


def test_client_may_still_mark_contributions_during_synthesis() -> None:
    state = meeting_in_stage(Stage.SYNTHESIS)
    contribution = state.consultations[0].contributions[0].id
    state = act(state, CLIENT, c.MarkContribution(contribution_id=contribution, mark=Mark.MAYBE))
    assert state.consultations[0].contributions[0].mark is Mark.MAYBE


def test_marking_a_contribution_that_does_not_exist_is_refused() -> None:
    state = meeting_in_stage(Stage.CONSULTATION)
    _refused(state, CLIENT, c.MarkContribution(contribution_id=404, mark=Mark.KEEP), NotFound)


def test_a_mark_only_touches_its_contribution() -> None:
    state = meeting_in_stage(Stage.CONSULTATION)
    state = act(state, KAI, c.AddContribution(kind="hypothesis", text="Maybe they are afraid"))
    _, second = state.consultations[0].contributions
    state = act(state, CLIENT, c.MarkContribution(contribution_id=second.id, mark=Mark.KEEP))
    assert [x.mark for x in state.consultations[0].contributions] == [None, Mark.KEEP]


def test_client_signals_with_or_without_a_contribution() -> None:
    state = meeting_in_stage(Stage.CONSULTATION)
    contribution = state.consultations[0].contributions[0].id
    state = act(state, CLIENT, c.SignalClient(signal=ClientSignal.OFF_CONTRACT))
    state = act(
        state,
        CLIENT,
        c.SignalClient(signal=ClientSignal.PLEASE_CLARIFY, contribution_id=contribution),
    )
    signals = state.consultations[0].signals
    assert [(x.signal, x.contribution_id) for x in signals] == [
        (ClientSignal.OFF_CONTRACT, None),
        (ClientSignal.PLEASE_CLARIFY, contribution),
    ]


def test_signal_about_a_contribution_that_does_not_exist_is_refused() -> None:
    state = meeting_in_stage(Stage.CONSULTATION)
    signal = c.SignalClient(signal=ClientSignal.PLEASE_CLARIFY, contribution_id=77)
    _refused(state, CLIENT, signal, NotFound)


def test_scribe_writes_notes_for_the_client() -> None:
    state = act(meeting_in_stage(Stage.CONSULTATION), SCRIBE, c.AddScribeNote(text="Kim: 1:1s"))
    assert [(n.author, n.text) for n in state.consultations[0].scribe_notes] == [
        (SCRIBE, "Kim: 1:1s")
    ]


def test_client_cannot_contribute_during_the_consultation() -> None:
    state = meeting_in_stage(Stage.CONSULTATION)
    _refused(state, CLIENT, c.AddContribution(kind="reaction", text="But..."), Forbidden)


# --- 5 synthesis --------------------------------------------------------------------------------


def test_client_writes_the_synthesis_and_rewriting_the_same_text_changes_nothing() -> None:
    state = meeting_in_stage(Stage.SYNTHESIS)
    state = act(state, CLIENT, c.SetSynthesis(text="I keep the one-to-ones"))
    _no_op(state, CLIENT, c.SetSynthesis(text="I keep the one-to-ones"))
    assert state.consultations[0].synthesis == "I keep the one-to-ones"
    _no_op(meeting_in_stage(Stage.SYNTHESIS), CLIENT, c.SetSynthesis(text=""))


def test_action_items_are_added_replaced_in_place_and_removed() -> None:
    state = meeting_in_stage(Stage.SYNTHESIS, seeded=False)
    state = act(state, CLIENT, c.SaveActionItem(action="Book one-to-ones"))
    state = act(state, CLIENT, c.SaveActionItem(action="Talk to HR", due=date(2025, 4, 1)))
    first, second = (item.id for item in state.consultations[0].action_items)
    assert first < second

    replaced = c.SaveActionItem(item_id=first, action="Book one-to-ones this week", indicator="3")
    state, events = run(state, CLIENT, replaced)
    items = state.consultations[0].action_items
    assert [(i.id, i.action, i.indicator) for i in items] == [
        (first, "Book one-to-ones this week", "3"),
        (second, "Talk to HR", ""),
    ]
    assert events[0].seq == state.seq  # a replaced item keeps its id, the event gets a new seq

    state = act(state, CLIENT, c.RemoveActionItem(item_id=first))
    assert [i.id for i in state.consultations[0].action_items] == [second]


def test_replacing_or_removing_an_unknown_action_item_is_refused() -> None:
    state = meeting_in_stage(Stage.SYNTHESIS)
    _refused(state, CLIENT, c.SaveActionItem(item_id=99, action="Ghost"), NotFound)
    _refused(state, CLIENT, c.RemoveActionItem(item_id=99), NotFound)


def test_consultants_listen_during_the_synthesis() -> None:
    state = meeting_in_stage(Stage.SYNTHESIS)
    _refused(state, KIM, c.SetSynthesis(text="You should keep..."), Forbidden)
    _refused(state, KIM, c.RaiseHand(), WrongStage)  # nobody raises a hand here


# --- 6 conclusion -------------------------------------------------------------------------------


def test_one_learning_per_person_the_second_replaces_the_first() -> None:
    state = meeting_in_stage(Stage.CONCLUSION)
    state = act(state, CLIENT, c.PostLearning(text="I talk too fast"), at(minutes=1))
    state = act(state, KIM, c.PostLearning(text="Questions first"), at(minutes=2))
    state = act(state, CLIENT, c.PostLearning(text="I listen better now"), at(minutes=3))
    learnings = state.consultations[0].learnings
    assert set(learnings) == {CLIENT, KIM}
    assert (learnings[CLIENT].text, learnings[CLIENT].at) == ("I listen better now", at(3))


def test_facilitator_and_observer_may_post_a_learning() -> None:
    state = meeting_in_stage(Stage.CONCLUSION)
    state = act(state, FACILITATOR, c.PostLearning(text="Slow down"))
    state = act(state, OBSERVER, c.PostLearning(text="Silence helps"))
    assert set(state.consultations[0].learnings) == {FACILITATOR, OBSERVER}


def test_one_evaluation_per_person_the_second_replaces_the_first() -> None:
    state = meeting_in_stage(Stage.CONCLUSION)
    state = act(state, KIM, c.SubmitEvaluation(ratings=Ratings(usefulness=3)))
    state = act(state, KIM, c.SubmitEvaluation(appreciation="Great", ratings=Ratings(climate=5)))
    [(author, evaluation)] = state.consultations[0].evaluations.items()
    assert author == KIM
    assert evaluation.appreciation == "Great"
    assert (evaluation.ratings.usefulness, evaluation.ratings.climate) == (None, 5)


def test_facilitator_does_not_evaluate_their_own_facilitation() -> None:
    state = meeting_in_stage(Stage.CONCLUSION)
    _refused(state, FACILITATOR, c.SubmitEvaluation(), Forbidden)


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_evaluation_ratings_outside_one_to_five_are_invalid(rating: int) -> None:
    with pytest.raises(ValidationError):
        c.SubmitEvaluation.model_validate({"ratings": {"listening": rating}})
    with pytest.raises(ValidationError):
        COMMAND_ADAPTER.validate_python(
            {"type": "submit_evaluation", "ratings": {"usefulness": rating}}
        )


@pytest.mark.parametrize("rating", [1, 5])
def test_evaluation_ratings_from_one_to_five_are_valid(rating: int) -> None:
    command = COMMAND_ADAPTER.validate_python(
        {"type": "submit_evaluation", "ratings": {"facilitation": rating}}
    )
    assert isinstance(command, c.SubmitEvaluation)
    assert command.ratings.facilitation == rating


# --- any time: private notes, ready, hands ------------------------------------------------------


def test_private_notes_are_only_visible_to_their_author() -> None:
    state = meeting_in_stage(Stage.PRESENTATION)
    state, [event] = run(state, KIM, c.AddPrivateNote(text="ask about the budget"))
    state = act(state, FACILITATOR, c.AddPrivateNote(text="watch the time"))
    assert audience_of(event, state.plan) == {KIM}

    def notes(member: str | None) -> list[tuple[str, str]]:
        view = state.view_for(member)["private_notes"]
        assert isinstance(view, list)
        return [(note["author"], note["text"]) for note in view]

    assert notes(KIM) == [(KIM, "ask about the budget")]
    assert notes(FACILITATOR) == [(FACILITATOR, "watch the time")]
    assert notes(KAI) == []
    assert notes(None) == []
    assert len(state.private_notes) == 2  # the state itself keeps both


def test_the_view_names_the_stage_and_the_consultation() -> None:
    view = meeting_in_stage(Stage.CONTRACT).view_for(CLIENT)
    assert (view["stage"], view["consultation"]) == ("contract", 0)
    assert make_meeting().view_for(CLIENT)["consultation"] is None


def test_other_events_are_for_the_whole_meeting() -> None:
    state, [event] = run(meeting_in_stage(Stage.CLARIFICATION), KIM, c.AskQuestion(text="Why?"))
    assert audience_of(event, state.plan) is None


def test_ready_is_set_once_unset_and_reset_on_stage_change() -> None:
    state = meeting_in_stage(Stage.PRESENTATION)
    state = act(state, KIM, c.SetReady())
    state = act(state, CLIENT, c.SetReady(ready=True))
    _no_op(state, KIM, c.SetReady())
    assert state.ready == [KIM, CLIENT]
    state = act(state, KIM, c.SetReady(ready=False))
    assert state.ready == [CLIENT]
    _no_op(state, KIM, c.SetReady(ready=False))
    state = act(state, FACILITATOR, c.AdvanceStage(expected_stage=Stage.PRESENTATION))
    assert state.ready == []


def test_hands_queue_in_the_order_they_were_raised() -> None:
    state = meeting_in_stage(Stage.CLARIFICATION)
    for member in (KIM, SCRIBE, KAI):
        state = act(state, member, c.RaiseHand())
    _no_op(state, KIM, c.RaiseHand())
    assert state.hands == [KIM, SCRIBE, KAI]

    state = act(state, FACILITATOR, c.CallOn(member_id=SCRIBE))
    assert (state.speaker, state.hands) == (SCRIBE, [KIM, KAI])

    state = act(state, KIM, c.LowerHand())
    assert state.hands == [KAI]
    _no_op(state, KIM, c.LowerHand())

    state = act(state, FACILITATOR, c.CallOn(member_id=CLIENT))  # not queued: just speaks
    assert (state.speaker, state.hands) == (CLIENT, [KAI])

    state = act(state, FACILITATOR, c.ClearQueue())
    assert (state.speaker, state.hands) == (None, [])
    _no_op(state, FACILITATOR, c.ClearQueue())


def test_clear_queue_also_clears_a_speaker_alone() -> None:
    state = act(meeting_in_stage(Stage.CONTRACT), FACILITATOR, c.CallOn(member_id=KIM))
    state = act(state, FACILITATOR, c.ClearQueue())
    assert state.speaker is None


def test_calling_on_a_stranger_is_refused() -> None:
    state = meeting_in_stage(Stage.CLARIFICATION)
    _refused(state, FACILITATOR, c.CallOn(member_id=STRANGER), NotFound)


def test_hands_and_speaker_are_cleared_on_stage_change() -> None:
    state = meeting_in_stage(Stage.CLARIFICATION)
    state = act(state, KIM, c.RaiseHand())
    state = act(state, FACILITATOR, c.CallOn(member_id=KAI))
    state = act(state, FACILITATOR, c.AdvanceStage(expected_stage=Stage.CLARIFICATION))
    assert (state.hands, state.speaker) == ([], None)


def test_observer_raises_a_hand_only_in_the_conclusion() -> None:
    _refused(meeting_in_stage(Stage.CONSULTATION), OBSERVER, c.RaiseHand(), Forbidden)
    state = act(meeting_in_stage(Stage.CONCLUSION), OBSERVER, c.RaiseHand())
    assert state.hands == [OBSERVER]


# --- limits -------------------------------------------------------------------------------------

Build = Callable[[], c.Command]

LIMITS: list[tuple[str, Stage, str, Build, Callable[[MeetingState], list[object]]]] = [
    (
        "MAX_QUESTIONS",
        Stage.CLARIFICATION,
        KIM,
        lambda: c.AskQuestion(text="And?"),
        lambda st: list(st.consultations[0].questions),
    ),
    (
        "MAX_CONTRACT_VERSIONS",
        Stage.CONTRACT,
        CLIENT,
        lambda: c.SetContract(text="Help me"),
        lambda st: list(st.consultations[0].contract),
    ),
    (
        "MAX_REPHRASINGS",
        Stage.CONTRACT,
        KAI,
        lambda: c.RephraseContract(text="You mean"),
        lambda st: list(st.consultations[0].rephrasings),
    ),
    (
        "MAX_CONTRIBUTIONS",
        Stage.CONSULTATION,
        KAI,
        lambda: c.AddContribution(kind="resource", text="A book"),
        lambda st: list(st.consultations[0].contributions),
    ),
    (
        "MAX_SIGNALS",
        Stage.CONSULTATION,
        CLIENT,
        lambda: c.SignalClient(signal=ClientSignal.OFF_CONTRACT),
        lambda st: list(st.consultations[0].signals),
    ),
    (
        "MAX_SCRIBE_NOTES",
        Stage.CONSULTATION,
        SCRIBE,
        lambda: c.AddScribeNote(text="noted"),
        lambda st: list(st.consultations[0].scribe_notes),
    ),
    (
        "MAX_ACTION_ITEMS",
        Stage.SYNTHESIS,
        CLIENT,
        lambda: c.SaveActionItem(action="Do"),
        lambda st: list(st.consultations[0].action_items),
    ),
    (
        "MAX_PRIVATE_NOTES_PER_PERSON",
        Stage.CONSULTATION,
        KIM,
        lambda: c.AddPrivateNote(text="mine"),
        lambda st: [n for n in st.private_notes if n.author == KIM],
    ),
    (
        "MAX_PROPOSALS",
        Stage.CLIENT_CHOICE,
        KIM,
        lambda: c.ProposeTopic(headline="Mine"),
        lambda st: list(st.proposals),
    ),
    (
        "MAX_FOLLOW_UP_REPORTS",
        Stage.FOLLOW_UP,
        KAI,
        lambda: c.ReportFollowUp(text="Done"),
        lambda st: list(st.follow_up_reports),
    ),
]


@pytest.mark.parametrize(
    ("limit", "stage", "actor", "build", "items"), LIMITS, ids=[row[0] for row in LIMITS]
)
def test_a_stage_refuses_more_items_than_its_limit(
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
    stage: Stage,
    actor: str,
    build: Build,
    items: Callable[[MeetingState], list[object]],
) -> None:
    monkeypatch.setattr(s, limit, 3)
    state = meeting_in_stage(stage, plan=make_plan(openers=ALL_OPENERS))
    while len(items(state)) < 3:
        state = act(state, actor, build())
    with pytest.raises(LimitReached, match="already holds 3") as refused:
        apply(state, build(), actor, NOW)
    assert refused.value.code == "limit_reached"
    _refused(state, actor, build(), LimitReached)


def test_private_note_limit_is_per_person(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s, "MAX_PRIVATE_NOTES_PER_PERSON", 1)
    state = act(meeting_in_stage(Stage.LOBBY), KIM, c.AddPrivateNote(text="mine"))
    _refused(state, KIM, c.AddPrivateNote(text="more"), LimitReached)
    state = act(state, KAI, c.AddPrivateNote(text="mine too"))
    assert [n.author for n in state.private_notes] == [KIM, KAI]


def test_replacing_an_action_item_is_allowed_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s, "MAX_ACTION_ITEMS", 1)
    state = meeting_in_stage(Stage.SYNTHESIS)
    [item] = state.consultations[0].action_items
    state = act(state, CLIENT, c.SaveActionItem(item_id=item.id, action="Changed"))
    assert [i.action for i in state.consultations[0].action_items] == ["Changed"]


def test_roles_are_those_of_the_meeting_plan() -> None:
    state = meeting_in_stage(Stage.CONSULTATION)
    assert state.role_of(SCRIBE) is Role.SCRIBE
    assert state.role_of(STRANGER) is None


# --- withdrawn and set aside --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "write", "field"),
    [
        (Stage.CLARIFICATION, c.AskQuestion(text="Why not resign?"), "questions"),
        (Stage.CONTRACT, c.RephraseContract(text="You want to leave"), "rephrasings"),
        (Stage.CONSULTATION, c.AddContribution(kind="suggestion", text="Resign"), "contributions"),
    ],
)
def test_an_author_withdraws_their_own_item_while_its_stage_runs(
    stage: Stage, write: c.Command, field: str
) -> None:
    state = act(meeting_in_stage(stage), KIM, write)
    before = [x.id for x in getattr(state.consultations[0], field)]
    state, events = run(state, KIM, c.WithdrawItem(item_id=state.seq))
    assert [(e.type, e.set_aside) for e in events] == [("item_withdrawn", False)]
    assert audience_of(events[0], state.plan) is None
    assert [x.id for x in getattr(state.consultations[0], field)] == before[:-1]


def test_nobody_withdraws_another_authors_item_nor_one_of_an_earlier_stage() -> None:
    state = act(
        meeting_in_stage(Stage.CONSULTATION), KIM, c.AddContribution(kind="reaction", text="Hm")
    )
    _refused(state, KAI, c.WithdrawItem(item_id=state.seq), Forbidden)
    question = state.consultations[0].questions[0]  # asked in clarification, by Kim or another
    _refused(state, question.author, c.WithdrawItem(item_id=question.id), NotFound)
    later = act(state, FACILITATOR, c.AdvanceStage(expected_stage=Stage.CONSULTATION))
    _refused(later, KIM, c.WithdrawItem(item_id=state.seq), WrongStage)


def test_the_facilitator_sets_an_item_aside_and_only_its_author_is_told_what_it_said() -> None:
    state = act(meeting_in_stage(Stage.CLARIFICATION), KIM, c.AskQuestion(text="Have you tried X?"))
    item = state.seq
    state, events = run(state, FACILITATOR, c.SetItemAside(item_id=item))
    told, gone = events
    assert told.type == "item_set_aside"
    assert (told.author, told.text) == (KIM, "Have you tried X?")
    assert audience_of(told, state.plan) == {KIM, FACILITATOR}
    assert (gone.type, gone.set_aside, audience_of(gone, state.plan)) == (
        "item_withdrawn",
        True,
        None,
    )
    assert item not in [q.id for q in state.consultations[0].questions]
    assert "Have you tried X?" not in state.model_dump_json()  # gone from the record


def test_only_the_facilitator_sets_an_item_aside() -> None:
    state = act(meeting_in_stage(Stage.CLARIFICATION), KIM, c.AskQuestion(text="Why?"))
    _refused(state, CLIENT, c.SetItemAside(item_id=state.seq), Forbidden)
    _refused(state, FACILITATOR, c.SetItemAside(item_id=999), NotFound)


def test_an_author_rewrites_their_own_item_and_nobody_else_may() -> None:
    state = act(meeting_in_stage(Stage.CONTRACT), KIM, c.RephraseContract(text="You want peace"))
    item = state.seq
    state, events = run(state, KIM, c.EditItem(item_id=item, text="You want calm in the team"))
    assert [(e.type, e.author) for e in events] == [("item_edited", KIM)]
    assert state.consultations[0].rephrasings[-1].text == "You want calm in the team"
    assert run(state, KIM, c.EditItem(item_id=item, text="You want calm in the team"))[1] == []
    _refused(state, KAI, c.EditItem(item_id=item, text="Mine now"), Forbidden)
