"""The stage x role x command table, checked by running every triple through ``apply``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import pytest

from app.stages import COMMAND_TYPES, PERMISSIONS, Command, MeetingState, Role, Stage, agenda, apply
from app.stages import commands as c
from app.stages.errors import Forbidden, InvalidCommand, WrongStage
from app.stages.permissions import allowed_roles
from app.stages.state import ActionItem, ConsultationRecord, Contribution, Question, Ratings
from app.stages.vocabulary import (
    LIVE_STAGES,
    Attendance,
    ClientSignal,
    ContributionKind,
    Mark,
    TopicType,
)

from .factories import (
    ACTOR_OF,
    ALL_OPENERS,
    CLIENT,
    FACILITATOR,
    KAI,
    KIM,
    NOW,
    STRANGER,
    act,
    make_consultation,
    make_plan,
    make_previous_plan,
    meeting_in_stage,
)

STAGES = list(Stage)
ROLES = list(Role)

EXPECTED_EVENT: dict[str, str] = {
    "advance_stage": "stage_changed",
    "return_to_stage": "stage_changed",
    "end_meeting": "stage_changed",
    "pause_timer": "timer_changed",
    "resume_timer": "timer_changed",
    "extend_timer": "timer_changed",
    "report_follow_up": "follow_up_reported",
    "propose_topic": "topic_proposed",
    "choose_client": "client_chosen",
    "set_case": "case_set",
    "ask_question": "question_asked",
    "answer_question": "question_answered",
    "mark_answered_aloud": "question_answered_aloud",
    "set_contract": "contract_set",
    "rephrase_contract": "contract_rephrased",
    "add_contribution": "contribution_added",
    "mark_contribution": "contribution_marked",
    "signal": "client_signalled",
    "withdraw_signal": "signal_withdrawn",
    "withdraw_item": "item_withdrawn",
    "edit_item": "item_edited",
    "set_item_aside": "item_set_aside",
    "add_scribe_note": "scribe_note_added",
    "set_synthesis": "synthesis_set",
    "save_action_item": "action_item_saved",
    "remove_action_item": "action_item_removed",
    "post_learning": "learning_posted",
    "submit_evaluation": "evaluation_submitted",
    "share_record": "record_shared",
    "add_private_note": "private_note_added",
    "set_ready": "ready_changed",
    "raise_hand": "hand_raised",
    "lower_hand": "hand_lowered",
    "call_on": "speaker_called",
    "clear_queue": "queue_cleared",
    "confirm_attendance": "attendance_confirmed",
    "show_charter": "charter_shown",
    "hide_charter": "charter_hidden",
    "set_display_timer": "display_timer_set",
}


@functools.cache
def _walked(stage: Stage, reporter: str, strict: bool) -> MeetingState:
    plan = make_plan(
        openers=ALL_OPENERS,
        previous_plan=make_previous_plan(reporter),
        consultations=(make_consultation(strict_silent_client=strict),),
    )
    return meeting_in_stage(stage, plan=plan)


def table_meeting(stage: Stage, *, reporter: str = KAI, strict: bool = False) -> MeetingState:
    """A meeting of the full cast in ``stage``, every opener on the agenda, items to act on."""
    return _walked(stage, reporter, strict).model_copy(deep=True)


def _first_id(items: Sequence[Question | Contribution | ActionItem]) -> int:
    """The first item's id; 1 when there is none (the command is then refused before lookup)."""
    return items[0].id if items else 1


def _may(command: str, stage: Stage, role: Role) -> bool:
    return role in PERMISSIONS[command].get(stage, frozenset())


def _previous_stage(state: MeetingState) -> Stage:
    """The stage just before this one in the same consultation, or this one if there is none."""
    steps = agenda(state.plan)
    here = steps[state.step]
    if state.step > 1 and steps[state.step - 1].consultation == here.consultation:
        return steps[state.step - 1].stage
    return here.stage


Prepare = Callable[[MeetingState, str, Role], tuple[MeetingState, Command]]


def _paused(state: MeetingState, actor: str, role: Role) -> tuple[MeetingState, Command]:
    if state.stage in LIVE_STAGES:
        state = act(state, FACILITATOR, c.PauseTimer())
    return state, c.ResumeTimer()


def _hand_up(state: MeetingState, actor: str, role: Role) -> tuple[MeetingState, Command]:
    if actor != STRANGER and _may("raise_hand", state.stage, role):
        state = act(state, actor, c.RaiseHand())
    return state, c.LowerHand()


def _speaker_called(state: MeetingState, actor: str, role: Role) -> tuple[MeetingState, Command]:
    if state.stage in LIVE_STAGES:
        state = act(state, FACILITATOR, c.CallOn(member_id=KIM))
    return state, c.ClearQueue()


def _signalled(state: MeetingState, actor: str, role: Role) -> tuple[MeetingState, Command]:
    if _may("signal", state.stage, Role.CLIENT):
        state = act(state, CLIENT, c.SignalClient(signal=ClientSignal.OFF_CONTRACT))
    signals = _record(state).signals
    return state, c.WithdrawSignal(signal_id=signals[-1].id if signals else 1)


_WRITE = {
    Stage.CLARIFICATION: c.AskQuestion(text="Since when?"),
    Stage.CONTRACT: c.RephraseContract(text="You want calm"),
    Stage.CONSULTATION: c.AddContribution(kind="suggestion", text="Meet them"),
}


def _written_by(state: MeetingState, author: str, role: Role) -> tuple[MeetingState, int]:
    """``author``'s new item of this stage, when they may write one: its id (else 1)."""
    write = _WRITE.get(state.stage)
    if write is None or author == STRANGER or not _may(write.type, state.stage, role):
        return state, 1
    state = act(state, author, write)
    return state, state.seq


def _own_item(state: MeetingState, actor: str, role: Role) -> tuple[MeetingState, Command]:
    state, item = _written_by(state, actor, role)
    return state, c.WithdrawItem(item_id=item)


def _own_edit(state: MeetingState, actor: str, role: Role) -> tuple[MeetingState, Command]:
    state, item = _written_by(state, actor, role)
    return state, c.EditItem(item_id=item, text="Said better")


def _kims_item(state: MeetingState, actor: str, role: Role) -> tuple[MeetingState, Command]:
    state, item = _written_by(state, KIM, Role.CONSULTANT)
    return state, c.SetItemAside(item_id=item)


CHARTER = "What is said here stays here."


def _charter_shown(state: MeetingState, actor: str, role: Role) -> tuple[MeetingState, Command]:
    if _may("show_charter", state.stage, Role.FACILITATOR):
        state = act(state, FACILITATOR, c.ShowCharter(version=1, text=CHARTER))
    return state, c.HideCharter()


def _plain(build: Callable[[MeetingState], Command]) -> Prepare:
    return lambda state, actor, role: (state, build(state))


def _record(state: MeetingState) -> ConsultationRecord:
    return state.consultations[state.consultation_index]


PREPARE: dict[str, Prepare] = {
    # For each command: its preconditions (a paused timer, a raised hand, a called speaker) and
    # a command that succeeds whenever the table lets the actor send it in this stage.
    "advance_stage": _plain(lambda s: c.AdvanceStage(expected_stage=s.stage)),
    "return_to_stage": _plain(
        lambda s: c.ReturnToStage(expected_stage=s.stage, stage=_previous_stage(s))
    ),
    "end_meeting": _plain(lambda s: c.EndMeeting(expected_stage=s.stage)),
    "pause_timer": _plain(lambda s: c.PauseTimer()),
    "resume_timer": _paused,
    "extend_timer": _plain(lambda s: c.ExtendTimer(seconds=120)),
    "report_follow_up": _plain(lambda s: c.ReportFollowUp(text="I met each newcomer")),
    "propose_topic": _plain(lambda s: c.ProposeTopic(headline="My new role")),
    "choose_client": _plain(lambda s: c.ChooseClient(member_id=KAI)),
    "set_case": _plain(
        lambda s: c.SetCase(headline="A hard decision", topic_type=TopicType.PROJECT)
    ),
    "ask_question": _plain(lambda s: c.AskQuestion(text="Who decides?")),
    "answer_question": _plain(
        lambda s: c.AnswerQuestion(question_id=_first_id(_record(s).questions), text="I do")
    ),
    "mark_answered_aloud": _plain(
        lambda s: c.MarkAnsweredAloud(question_id=_first_id(_record(s).questions))
    ),
    "set_contract": _plain(lambda s: c.SetContract(text="Help me to decide")),
    "rephrase_contract": _plain(lambda s: c.RephraseContract(text="You want to decide")),
    "add_contribution": _plain(
        lambda s: c.AddContribution(kind=ContributionKind.EXPERIENCE, text="I once...")
    ),
    "mark_contribution": _plain(
        lambda s: c.MarkContribution(
            contribution_id=_first_id(_record(s).contributions), mark=Mark.KEEP
        )
    ),
    "signal": _plain(
        lambda s: c.SignalClient(
            signal=ClientSignal.PLEASE_CLARIFY,
            contribution_id=_first_id(_record(s).contributions),
        )
    ),
    "withdraw_signal": _signalled,
    "withdraw_item": _own_item,
    "edit_item": _own_edit,
    "set_item_aside": _kims_item,
    "add_scribe_note": _plain(lambda s: c.AddScribeNote(text="Kim: meet one by one")),
    "set_synthesis": _plain(lambda s: c.SetSynthesis(text="I keep the one-to-ones")),
    "save_action_item": _plain(lambda s: c.SaveActionItem(action="Talk to HR")),
    "remove_action_item": _plain(
        lambda s: c.RemoveActionItem(item_id=_first_id(_record(s).action_items))
    ),
    "post_learning": _plain(lambda s: c.PostLearning(text="Listening is hard")),
    "submit_evaluation": _plain(
        lambda s: c.SubmitEvaluation(appreciation="Good", ratings=Ratings(usefulness=5))
    ),
    "share_record": _plain(lambda s: c.ShareRecord(consultation=0, shared=True)),
    "add_private_note": _plain(lambda s: c.AddPrivateNote(text="ask about the budget")),
    "set_ready": _plain(lambda s: c.SetReady()),
    "raise_hand": _plain(lambda s: c.RaiseHand()),
    "lower_hand": _hand_up,
    "call_on": _plain(lambda s: c.CallOn(member_id=KIM)),
    "clear_queue": _speaker_called,
    "confirm_attendance": _plain(
        lambda s: c.ConfirmAttendance(member_id=KIM, status=Attendance.EXCUSED)
    ),
    "show_charter": _plain(lambda s: c.ShowCharter(version=1, text=CHARTER)),
    "hide_charter": _charter_shown,
    "set_display_timer": _plain(lambda s: c.SetDisplayTimer(shown=False)),
}


def _triples() -> list[object]:
    return [
        pytest.param(stage, role, command, id=f"{stage.value}-{role.value}-{command}")
        for stage in STAGES
        for role in ROLES
        for command in COMMAND_TYPES
    ]


def test_permission_table_has_a_row_for_every_command_and_nothing_else() -> None:
    assert set(PERMISSIONS) == set(COMMAND_TYPES)
    assert len(COMMAND_TYPES) == len(set(COMMAND_TYPES)) == len(PREPARE) == len(EXPECTED_EVENT)


def test_after_the_end_only_sharing_a_record_and_confirming_attendance_remain() -> None:
    after = {command: allowed_roles(command, Stage.ENDED) for command in COMMAND_TYPES}
    assert {command: roles for command, roles in after.items() if roles is not None} == {
        "share_record": frozenset({Role.CLIENT}),
        "confirm_attendance": frozenset({Role.FACILITATOR}),
    }


def test_only_the_facilitator_moves_through_the_agenda() -> None:
    for command in ("advance_stage", "return_to_stage", "end_meeting", "choose_client"):
        assert set(PERMISSIONS[command].values()) == {frozenset({Role.FACILITATOR})}


@pytest.mark.parametrize(("stage", "role", "command"), _triples())
def test_command_is_applied_only_by_the_roles_of_its_stage(
    stage: Stage, role: Role, command: str
) -> None:
    actor = ACTOR_OF[role]
    reporter = actor if command == "report_follow_up" else KAI
    state, cmd = PREPARE[command](table_meeting(stage, reporter=reporter), actor, role)
    before, seq = state.model_dump(), state.seq
    allowed = PERMISSIONS[command].get(stage)

    if allowed is None or role not in allowed:
        refusal = WrongStage if allowed is None else Forbidden
        with pytest.raises(refusal):
            apply(state, cmd, actor, NOW)
        assert state.model_dump() == before
        assert state.seq == seq
        return

    if command == "return_to_stage" and stage in (Stage.CHECK_IN, Stage.PRESENTATION):
        # Allowed here, but there is no earlier stage of the same consultation to go back to.
        with pytest.raises(InvalidCommand):
            apply(state, cmd, actor, NOW)
        assert state.model_dump() == before
        return

    new, events = apply(state, cmd, actor, NOW)
    if command == "lower_hand" and not _may("raise_hand", stage, role):
        # Nobody may raise a hand here, so lowering one is the documented no-op.
        assert events == []
        assert new.model_dump() == before
        return
    assert events, f"{command} by the {role.value} in {stage.value} changed nothing"
    assert events[0].type == EXPECTED_EVENT[command]
    assert [event.seq for event in events] == list(range(seq + 1, seq + 1 + len(events)))
    assert new.seq == events[-1].seq
    assert state.model_dump() == before


@pytest.mark.parametrize("stage", STAGES, ids=[s.value for s in STAGES])
@pytest.mark.parametrize("command", COMMAND_TYPES)
def test_a_stranger_is_forbidden_every_command_in_every_stage(command: str, stage: Stage) -> None:
    state, cmd = PREPARE[command](table_meeting(stage), STRANGER, Role.CONSULTANT)
    before = state.model_dump()
    with pytest.raises(Forbidden, match="not a participant"):
        apply(state, cmd, STRANGER, NOW)
    assert state.model_dump() == before


def test_strict_silent_client_may_not_signal_in_consultation() -> None:
    state = table_meeting(Stage.CONSULTATION, strict=True)
    before = state.model_dump()
    signal = c.SignalClient(signal=ClientSignal.OFF_CONTRACT)
    with pytest.raises(Forbidden, match="strict variant"):
        apply(state, signal, CLIENT, NOW)
    assert state.model_dump() == before


def test_strict_silent_client_may_still_mark_contributions() -> None:
    state = table_meeting(Stage.CONSULTATION, strict=True)
    contribution = state.consultations[0].contributions[0].id
    mark = c.MarkContribution(contribution_id=contribution, mark=Mark.MAYBE)
    _, events = apply(state, mark, CLIENT, NOW)
    assert [event.type for event in events] == ["contribution_marked"]


def test_the_client_may_signal_when_the_variant_is_not_strict() -> None:
    state = table_meeting(Stage.CONSULTATION)
    _, events = apply(state, c.SignalClient(signal=ClientSignal.OFF_CONTRACT), CLIENT, NOW)
    assert [event.type for event in events] == ["client_signalled"]


def test_wrong_stage_names_the_stages_the_command_belongs_to() -> None:
    state = table_meeting(Stage.PRESENTATION)
    with pytest.raises(
        WrongStage, match="belongs to clarification; the meeting is in presentation"
    ):
        apply(state, c.AskQuestion(text="Why?"), KIM, NOW)


def test_consultant_cannot_ask_question_during_presentation() -> None:
    state = table_meeting(Stage.PRESENTATION)
    with pytest.raises(WrongStage) as refused:
        apply(state, c.AskQuestion(text="Why?"), KIM, NOW)
    assert refused.value.code == "wrong_stage"


def test_consultant_cannot_set_the_contract() -> None:
    state = table_meeting(Stage.CONTRACT)
    with pytest.raises(Forbidden, match="a consultant cannot set contract in contract") as refused:
        apply(state, c.SetContract(text="Help me"), KIM, NOW)
    assert refused.value.code == "forbidden"
