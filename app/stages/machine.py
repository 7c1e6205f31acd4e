"""The meeting as a pure state machine: ``apply(state, command, actor, now) -> (state, events)``.

``decide`` checks a command against the permission table and the state and returns the events it
causes, or raises ``CommandRefused``; ``evolve`` folds events into a state. Neither reads a
clock, a database or a socket: ``now`` comes in, events go out. A refused command raises before
anything is copied, so the caller's state is never touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar, assert_never

from pydantic import BaseModel

from . import commands as c
from . import events as e
from . import state as s
from .errors import (
    Forbidden,
    InvalidCommand,
    InvalidPlan,
    LimitReached,
    NotFound,
    StageMismatch,
    WrongStage,
)
from .permissions import check_permission
from .plan import MeetingPlan, PreviousPlan, check_plan
from .state import MeetingState, Step, agenda, conclusion_step
from .timer import Timer, extend, pause, resume, start_timer
from .vocabulary import Role, Stage


def apply(
    state: MeetingState, command: c.Command, actor: str, now: datetime
) -> tuple[MeetingState, list[e.Event]]:
    """Decide and evolve in one go; the input state is left as it was."""
    events = decide(state, command, actor, now)
    return fold(state, events), events


def fold(state: MeetingState, events: Iterable[e.Event]) -> MeetingState:
    """A new state with ``events`` applied in order."""
    new = _unshare(state)
    for event in events:
        evolve(new, event)
    return new


def _unshare(state: MeetingState) -> MeetingState:
    """A copy that ``evolve`` may change without touching ``state``: new containers, shared
    records. Records, plans and timers are frozen, so sharing them is safe, and a copy costs
    a few lists instead of a deep copy of every question and contribution ever written."""
    copied = _containers(state)
    copied["consultations"] = [
        record.model_copy(update=_containers(record)) for record in state.consultations
    ]
    return state.model_copy(update=copied)


def _containers(model: BaseModel) -> dict[str, Any]:
    """A fresh copy of each list and dict field of ``model`` (whatever fields it gains later)."""
    return {
        name: value.copy()
        for name, value in model.__dict__.items()
        if isinstance(value, list | dict)
    }


def replan(state: MeetingState, plan: MeetingPlan, now: datetime) -> list[e.Event]:
    """The events of replacing the plan, which only the lobby allows (scheduling, not a command)."""
    if state.stage is not Stage.LOBBY:
        raise WrongStage(f"the plan can change only in the lobby; the meeting is in {state.stage}")
    return [e.PlanChanged(seq=state.seq + 1, at=now, plan=plan)]


def purge(state: MeetingState, now: datetime) -> list[e.Event]:
    """The events of erasing an ended meeting's content (retention, not a command): none when
    nothing is left to erase."""
    if state.stage is not Stage.ENDED:
        raise WrongStage(f"only an ended meeting is purged; the meeting is in {state.stage}")
    purged = e.ContentPurged(seq=state.seq + 1, at=now)
    if fold(state, [purged]).model_copy(update={"seq": state.seq}) == state:
        return []
    return [purged]


@dataclass
class _Context:
    state: MeetingState
    actor: str
    role: Role
    now: datetime
    _seq: int = field(init=False)

    def __post_init__(self) -> None:
        self._seq = self.state.seq

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    @property
    def index(self) -> int:
        return self.state.consultation_index

    @property
    def record(self) -> s.ConsultationRecord:
        return self.state.consultations[self.index]


def decide(state: MeetingState, command: c.Command, actor: str, now: datetime) -> list[e.Event]:
    role = state.role_of(actor)
    if role is None:
        raise Forbidden("you are not a participant of this meeting")
    if isinstance(command, c.ShareRecord):
        # A record is its client's: what counts is the sender's role in the consultation it
        # names (the first client consults in the second consultation, and still owns theirs).
        if command.consultation >= len(state.plan.consultations):
            raise NotFound(f"this meeting has no consultation {command.consultation + 1}")
        role = state.plan.role_in(command.consultation, actor)
        assert role is not None
    strict = state.plan.consultations[state.consultation_index].strict_silent_client
    check_permission(command.type, state.stage, role, strict_silent=strict)
    ctx = _Context(state, actor, role, now)
    return _decide(ctx, command)


def _decide(ctx: _Context, command: c.Command) -> list[e.Event]:
    state, now = ctx.state, ctx.now
    match command:
        case c.AdvanceStage():
            _expect(state, command.expected_stage)
            return _moved(ctx, state.step + 1)
        case c.ReturnToStage():
            _expect(state, command.expected_stage)
            return [_enter(ctx, _earlier_step(state, command.stage))]
        case c.EndMeeting():
            _expect(state, command.expected_stage)
            return _moved(ctx, len(agenda(state.plan)) - 1)
        case c.PauseTimer():
            timer = _timer(state)
            return [_timer_changed(ctx, pause(timer, now))] if timer.running else []
        case c.ResumeTimer():
            timer = _timer(state)
            return [] if timer.running else [_timer_changed(ctx, resume(timer, now))]
        case c.ExtendTimer():
            return [_timer_changed(ctx, extend(_timer(state), command.seconds))]
        case c.ReportFollowUp():
            previous = state.plan.previous_plan
            if previous is None or previous.reporter != ctx.actor:
                raise Forbidden("only the previous client reports on their action plan")
            _limit(state.follow_up_reports, s.MAX_FOLLOW_UP_REPORTS, "follow-up reports")
            seq = ctx.next_seq()
            report = s.FollowUpReport(id=seq, author=ctx.actor, text=command.text, at=now)
            return [e.FollowUpReported(seq=seq, at=now, report=report)]
        case c.ProposeTopic():
            _limit(state.proposals, s.MAX_PROPOSALS, "topic proposals")
            seq = ctx.next_seq()
            proposal = s.TopicProposal(
                id=seq,
                author=ctx.actor,
                headline=command.headline,
                topic_type=command.topic_type,
                at=now,
            )
            return [e.TopicProposed(seq=seq, at=now, proposal=proposal)]
        case c.ChooseClient():
            return [_choose_client(ctx, command)]
        case c.SetCase():
            case = s.Case(
                headline=command.headline,
                topic_type=command.topic_type,
                context=command.context,
                question=command.question,
            )
            return [e.CaseSet(seq=ctx.next_seq(), at=now, consultation=ctx.index, case=case)]
        case c.AskQuestion():
            _limit(ctx.record.questions, s.MAX_QUESTIONS, "questions")
            seq = ctx.next_seq()
            question = s.Question(id=seq, author=ctx.actor, text=command.text, at=now)
            return [e.QuestionAsked(seq=seq, at=now, consultation=ctx.index, question=question)]
        case c.AnswerQuestion():
            _find(ctx.record.questions, command.question_id, "question")
            return [
                e.QuestionAnswered(
                    seq=ctx.next_seq(),
                    at=now,
                    consultation=ctx.index,
                    question_id=command.question_id,
                    answer=command.text,
                )
            ]
        case c.MarkAnsweredAloud():
            question = _find(ctx.record.questions, command.question_id, "question")
            if question.answered_aloud == command.answered:
                return []
            return [
                e.QuestionAnsweredAloud(
                    seq=ctx.next_seq(),
                    at=now,
                    consultation=ctx.index,
                    question_id=question.id,
                    answered=command.answered,
                )
            ]
        case c.SetContract():
            _limit(ctx.record.contract, s.MAX_CONTRACT_VERSIONS, "contract versions")
            version = s.ContractVersion(
                version=len(ctx.record.contract) + 1,
                text=command.text,
                help_wanted=command.help_wanted,
                at=now,
            )
            return [
                e.ContractSet(seq=ctx.next_seq(), at=now, consultation=ctx.index, contract=version)
            ]
        case c.RephraseContract():
            _limit(ctx.record.rephrasings, s.MAX_REPHRASINGS, "rephrasings")
            seq = ctx.next_seq()
            rephrasing = s.Rephrasing(
                id=seq,
                author=ctx.actor,
                text=command.text,
                contract_version=len(ctx.record.contract),
                at=now,
            )
            return [
                e.ContractRephrased(seq=seq, at=now, consultation=ctx.index, rephrasing=rephrasing)
            ]
        case c.AddContribution():
            _limit(ctx.record.contributions, s.MAX_CONTRIBUTIONS, "contributions")
            seq = ctx.next_seq()
            contribution = s.Contribution(
                id=seq, author=ctx.actor, kind=command.kind, text=command.text, at=now
            )
            return [
                e.ContributionAdded(
                    seq=seq, at=now, consultation=ctx.index, contribution=contribution
                )
            ]
        case c.MarkContribution():
            found = _find(ctx.record.contributions, command.contribution_id, "contribution")
            if found.mark == command.mark:
                return []
            return [
                e.ContributionMarked(
                    seq=ctx.next_seq(),
                    at=now,
                    consultation=ctx.index,
                    contribution_id=found.id,
                    mark=command.mark,
                )
            ]
        case c.SignalClient():
            if command.contribution_id is not None:
                _find(ctx.record.contributions, command.contribution_id, "contribution")
            _limit(ctx.record.signals, s.MAX_SIGNALS, "signals")
            seq = ctx.next_seq()
            signal = s.Signal(
                id=seq, signal=command.signal, contribution_id=command.contribution_id, at=now
            )
            return [e.ClientSignalled(seq=seq, at=now, consultation=ctx.index, signal=signal)]
        case c.WithdrawSignal():
            _find(ctx.record.signals, command.signal_id, "signal")
            return [
                e.SignalWithdrawn(
                    seq=ctx.next_seq(), at=now, consultation=ctx.index, signal_id=command.signal_id
                )
            ]
        case c.WithdrawItem() | c.SetItemAside():
            return _withdraw_item(ctx, command)
        case c.EditItem():
            own = _stage_item(ctx, command.item_id)
            if own.text == command.text:
                return []
            edited = e.ItemEdited(
                seq=ctx.next_seq(),
                at=now,
                consultation=ctx.index,
                item_id=own.id,
                author=own.author,
                text=command.text,
            )
            return [edited]
        case c.AddScribeNote():
            _limit(ctx.record.scribe_notes, s.MAX_SCRIBE_NOTES, "scribe notes")
            seq = ctx.next_seq()
            note = s.ScribeNote(id=seq, author=ctx.actor, text=command.text, at=now)
            return [e.ScribeNoteAdded(seq=seq, at=now, consultation=ctx.index, note=note)]
        case c.SetSynthesis():
            if command.text == ctx.record.synthesis:
                return []
            return [
                e.SynthesisSet(
                    seq=ctx.next_seq(), at=now, consultation=ctx.index, text=command.text
                )
            ]
        case c.SaveActionItem():
            if command.item_id is None:
                _limit(ctx.record.action_items, s.MAX_ACTION_ITEMS, "action items")
                item_id = ctx.next_seq()
                seq = item_id
            else:
                item_id = _find(ctx.record.action_items, command.item_id, "action item").id
                seq = ctx.next_seq()
            item = s.ActionItem(
                id=item_id,
                action=command.action,
                objective=command.objective,
                due=command.due,
                indicator=command.indicator,
                follow_up=command.follow_up,
            )
            return [e.ActionItemSaved(seq=seq, at=now, consultation=ctx.index, item=item)]
        case c.RemoveActionItem():
            _find(ctx.record.action_items, command.item_id, "action item")
            return [
                e.ActionItemRemoved(
                    seq=ctx.next_seq(), at=now, consultation=ctx.index, item_id=command.item_id
                )
            ]
        case c.PostLearning():
            learning = s.Learning(author=ctx.actor, text=command.text, at=now)
            return [
                e.LearningPosted(
                    seq=ctx.next_seq(), at=now, consultation=ctx.index, learning=learning
                )
            ]
        case c.SubmitEvaluation():
            evaluation = s.Evaluation(
                author=ctx.actor,
                appreciation=command.appreciation,
                expectations=command.expectations,
                learnings=command.learnings,
                applications=command.applications,
                ratings=command.ratings,
                at=now,
            )
            return [
                e.EvaluationSubmitted(
                    seq=ctx.next_seq(), at=now, consultation=ctx.index, evaluation=evaluation
                )
            ]
        case c.ShareRecord():
            index = command.consultation
            if state.consultations[index].shared == command.shared:
                return []
            return [
                e.RecordShared(
                    seq=ctx.next_seq(), at=now, consultation=index, shared=command.shared
                )
            ]
        case c.AddPrivateNote():
            mine = [n for n in state.private_notes if n.author == ctx.actor]
            _limit(mine, s.MAX_PRIVATE_NOTES_PER_PERSON, "private notes")
            seq = ctx.next_seq()
            private = s.PrivateNote(id=seq, author=ctx.actor, text=command.text, at=now)
            return [e.PrivateNoteAdded(seq=seq, at=now, note=private)]
        case c.SetReady():
            if (ctx.actor in state.ready) == command.ready:
                return []
            return [
                e.ReadyChanged(seq=ctx.next_seq(), at=now, member_id=ctx.actor, ready=command.ready)
            ]
        case c.RaiseHand():
            if ctx.actor in state.hands:
                return []
            return [e.HandRaised(seq=ctx.next_seq(), at=now, member_id=ctx.actor)]
        case c.LowerHand():
            if ctx.actor not in state.hands:
                return []
            return [e.HandLowered(seq=ctx.next_seq(), at=now, member_id=ctx.actor)]
        case c.CallOn():
            if state.role_of(command.member_id) is None:
                raise NotFound(f"{command.member_id!r} is not a participant of this meeting")
            return [e.SpeakerCalled(seq=ctx.next_seq(), at=now, member_id=command.member_id)]
        case c.ClearQueue():
            if not state.hands and state.speaker is None:
                return []
            return [e.QueueCleared(seq=ctx.next_seq(), at=now)]
        case c.ConfirmAttendance():
            return _confirm_attendance(ctx, command)
        case c.ShowCharter():
            shown = s.ShownCharter(version=command.version, text=command.text)
            if state.charter == shown:
                return []
            return [e.CharterShown(seq=ctx.next_seq(), at=now, charter=shown)]
        case c.HideCharter():
            if state.charter is None:
                return []
            return [e.CharterHidden(seq=ctx.next_seq(), at=now)]
        case c.SetDisplayTimer():
            if state.display_timer == command.shown:
                return []
            return [e.DisplayTimerSet(seq=ctx.next_seq(), at=now, shown=command.shown)]
        case _:
            assert_never(command)  # mypy proves every command is handled


# --- helpers for decide -------------------------------------------------------------------------


def _expect(state: MeetingState, expected: Stage) -> None:
    if state.stage is not expected:
        raise StageMismatch(f"the meeting is already in {state.stage.value}, not {expected.value}")


def _moved(ctx: _Context, step_index: int) -> list[e.Event]:
    """Entering a step; at the end of a no-trace meeting, the case content goes too."""
    entered: list[e.Event] = [_enter(ctx, step_index)]
    if agenda(ctx.state.plan)[step_index].stage is Stage.ENDED and ctx.state.plan.no_trace:
        entered.append(e.ContentPurged(seq=ctx.next_seq(), at=ctx.now))
    return entered


def _enter(ctx: _Context, step_index: int) -> e.StageChanged:
    """The event of moving to ``step_index``, with that step's timer started."""
    state = ctx.state
    step = agenda(state.plan)[step_index]
    if state.stage is Stage.CLIENT_CHOICE and step_index > state.step:
        # Clients are chosen only here: leaving without one would strand that consultation.
        for number, consultation in enumerate(state.plan.consultations, start=1):
            if consultation.client is None:
                raise InvalidCommand(f"choose a client for consultation {number} first")
    timer = None
    left = state.left_timers.get(step_index)
    if left is not None:
        timer = resume(left, ctx.now)  # back in a step: its remaining time, not a fresh one
    elif step.stage is not Stage.ENDED:
        timer = start_timer(step_index, _minutes(state, step), ctx.now)
    ends = [conclusion_step(state.plan, index) for index in range(len(state.plan.consultations))]
    return e.StageChanged(
        seq=ctx.next_seq(),
        at=ctx.now,
        step=step_index,
        stage=step.stage,
        consultation=step.consultation,
        timer=timer,
        closes=tuple(i for i, end in enumerate(ends) if state.step <= end < step_index),
    )


def _minutes(state: MeetingState, step: Step) -> int:
    if step.consultation is None:
        return state.plan.opener_minutes.get(step.stage, 10)
    return state.plan.consultations[step.consultation].stage_minutes(step.stage)


def _earlier_step(state: MeetingState, target: Stage) -> int:
    """The index of ``target`` earlier in the current consultation (or among the openers)."""
    steps = agenda(state.plan)
    here = steps[state.step]
    for index in range(state.step - 1, 0, -1):
        if steps[index].consultation != here.consultation:
            break
        if steps[index].stage is target:
            return index
    raise InvalidCommand(
        f"cannot go back from {here.stage.value} to {target.value}: "
        "only to an earlier stage of the same consultation"
    )


def _timer(state: MeetingState) -> Timer:
    assert state.timer is not None, "every live stage has a timer"
    return state.timer


def _timer_changed(ctx: _Context, timer: Timer) -> e.TimerChanged:
    return e.TimerChanged(seq=ctx.next_seq(), at=ctx.now, timer=timer)


def _choose_client(ctx: _Context, command: c.ChooseClient) -> e.ClientChosen:
    plan = ctx.state.plan
    if command.consultation >= len(plan.consultations):
        raise NotFound(f"this meeting has no consultation {command.consultation + 1}")
    role = plan.role_in(command.consultation, command.member_id)
    if role is None:
        raise NotFound(f"{command.member_id!r} is not a participant of this meeting")
    if role in (Role.FACILITATOR, Role.OBSERVER):
        raise InvalidCommand(f"a {role.value} cannot be the client")
    for index, other in enumerate(plan.consultations):
        if index != command.consultation and other.client == command.member_id:
            raise InvalidCommand(
                f"{command.member_id!r} is already the client of consultation {index + 1}"
            )
    new_plan = plan.with_client(command.consultation, command.member_id)
    try:
        check_plan(new_plan)  # e.g. no consultant would be left
    except InvalidPlan as exc:
        raise InvalidCommand(str(exc)) from exc
    return e.ClientChosen(seq=ctx.next_seq(), at=ctx.now, plan=new_plan)


def _confirm_attendance(ctx: _Context, command: c.ConfirmAttendance) -> list[e.Event]:
    plan = ctx.state.plan
    if command.member_id not in plan.participants:
        raise NotFound(f"{command.member_id!r} is not a participant of this meeting")
    if command.member_id == plan.facilitator:
        raise InvalidCommand("the facilitator's attendance is not recorded")
    if ctx.state.attendance.get(command.member_id) is command.status:
        return []
    return [
        e.AttendanceConfirmed(
            seq=ctx.next_seq(), at=ctx.now, member_id=command.member_id, status=command.status
        )
    ]


_ITEMS = {
    Stage.CLARIFICATION: "questions",
    Stage.CONTRACT: "rephrasings",
    Stage.CONSULTATION: "contributions",
}
"""The items each stage collects, that their authors may withdraw while it is open."""


def _stage_item(
    ctx: _Context, item_id: int, *, own: bool = True
) -> s.Question | s.Rephrasing | s.Contribution:
    """The current stage's item ``item_id``; with ``own``, only if the actor wrote it."""
    items: Sequence[s.Question | s.Rephrasing | s.Contribution]
    items = getattr(ctx.record, _ITEMS[ctx.state.stage])
    item = _find(items, item_id, "item of this stage")
    if own and item.author != ctx.actor:
        raise Forbidden("only its author changes an item")
    return item


def _withdraw_item(ctx: _Context, command: c.WithdrawItem | c.SetItemAside) -> list[e.Event]:
    aside = isinstance(command, c.SetItemAside)
    item = _stage_item(ctx, command.item_id, own=not aside)
    told: list[e.Event] = []
    if aside:
        told.append(
            e.ItemSetAside(
                seq=ctx.next_seq(),
                at=ctx.now,
                consultation=ctx.index,
                item_id=item.id,
                author=item.author,
                text=item.text,
            )
        )
    gone = e.ItemWithdrawn(
        seq=ctx.next_seq(), at=ctx.now, consultation=ctx.index, item_id=item.id, set_aside=aside
    )
    return [*told, gone]


def _limit(items: Sequence[object], limit: int, what: str) -> None:
    if len(items) >= limit:
        raise LimitReached(f"this stage already holds {limit} {what}, the most it may")


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


_Item = TypeVar("_Item", bound=_Identified)


def _find(items: Sequence[_Item], item_id: int, what: str) -> _Item:
    for item in items:
        if item.id == item_id:
            return item
    raise NotFound(f"there is no {what} {item_id} in this consultation")


# --- evolve -------------------------------------------------------------------------------------


def evolve(state: MeetingState, event: e.Event) -> None:
    """Fold one event into ``state`` in place. Events come from ``decide`` or the event log."""
    if event.seq != state.seq + 1:
        raise ValueError(f"event {event.seq} does not follow {state.seq}")
    if isinstance(event, e.Redacted):
        raise ValueError("a redacted event is for the wire, never for the state")
    state.seq = event.seq
    consultation = getattr(event, "consultation", None)
    record = state.consultations[consultation] if isinstance(consultation, int) else None
    match event:
        case e.StageChanged():
            if state.timer is not None:
                state.left_timers[state.timer.step] = pause(state.timer, event.at)
            state.left_timers.pop(event.step, None)
            state.step = event.step
            state.timer = event.timer
            state.ready = []
            state.hands = []
            state.speaker = None
        case e.TimerChanged():
            state.timer = event.timer
        case e.FollowUpReported():
            state.follow_up_reports.append(event.report)
        case e.TopicProposed():
            state.proposals.append(event.proposal)
        case e.ClientChosen():
            state.plan = event.plan
        case e.PlanChanged():
            people = event.plan.participants
            state.plan = event.plan
            state.consultations = [s.ConsultationRecord() for _ in event.plan.consultations]
            state.ready = [m for m in state.ready if m in people]
            state.hands = [m for m in state.hands if m in people]
            state.speaker = state.speaker if state.speaker in people else None
        case e.CaseSet():
            assert record is not None
            record.case = event.case
        case e.QuestionAsked():
            assert record is not None
            record.questions.append(event.question)
        case e.QuestionAnswered():
            assert record is not None
            record.questions = [
                q.model_copy(update={"answer": event.answer, "answered_at": event.at})
                if q.id == event.question_id
                else q
                for q in record.questions
            ]
        case e.QuestionAnsweredAloud():
            assert record is not None
            record.questions = [
                q.model_copy(update={"answered_aloud": event.answered})
                if q.id == event.question_id
                else q
                for q in record.questions
            ]
        case e.ContractSet():
            assert record is not None
            record.contract.append(event.contract)
        case e.ContractRephrased():
            assert record is not None
            record.rephrasings.append(event.rephrasing)
        case e.ContributionAdded():
            assert record is not None
            record.contributions.append(event.contribution)
        case e.ContributionMarked():
            assert record is not None
            record.contributions = [
                x.model_copy(update={"mark": event.mark}) if x.id == event.contribution_id else x
                for x in record.contributions
            ]
        case e.ClientSignalled():
            assert record is not None
            record.signals.append(event.signal)
        case e.ItemWithdrawn():
            assert record is not None
            for name in _ITEMS.values():
                kept = [x for x in getattr(record, name) if x.id != event.item_id]
                setattr(record, name, kept)
        case e.ItemEdited():
            assert record is not None
            for name in _ITEMS.values():
                setattr(
                    record,
                    name,
                    [
                        x.model_copy(update={"text": event.text}) if x.id == event.item_id else x
                        for x in getattr(record, name)
                    ],
                )
        case e.ItemSetAside():
            pass  # the author is told; the item_withdrawn that follows removes it
        case e.SignalWithdrawn():
            assert record is not None
            record.signals = [x for x in record.signals if x.id != event.signal_id]
        case e.ScribeNoteAdded():
            assert record is not None
            record.scribe_notes.append(event.note)
        case e.SynthesisSet():
            assert record is not None
            record.synthesis = event.text
        case e.ActionItemSaved():
            assert record is not None
            kept = [i for i in record.action_items if i.id != event.item.id]
            record.action_items = sorted([*kept, event.item], key=lambda i: i.id)
        case e.ActionItemRemoved():
            assert record is not None
            record.action_items = [i for i in record.action_items if i.id != event.item_id]
        case e.LearningPosted():
            assert record is not None
            record.learnings[event.learning.author] = event.learning
        case e.EvaluationSubmitted():
            assert record is not None
            record.evaluations[event.evaluation.author] = event.evaluation
        case e.RecordShared():
            assert record is not None
            record.shared = event.shared
        case e.PrivateNoteAdded():
            state.private_notes.append(event.note)
        case e.ReadyChanged():
            others = [m for m in state.ready if m != event.member_id]
            state.ready = [*others, event.member_id] if event.ready else others
        case e.HandRaised():
            state.hands.append(event.member_id)
        case e.HandLowered():
            state.hands.remove(event.member_id)
        case e.SpeakerCalled():
            state.speaker = event.member_id
            state.hands = [m for m in state.hands if m != event.member_id]
        case e.QueueCleared():
            state.hands = []
            state.speaker = None
        case e.ContentPurged():
            state.consultations = [s.ConsultationRecord() for _ in state.consultations]
            state.private_notes = []
            state.proposals = []
            state.follow_up_reports = []
            previous = state.plan.previous_plan
            if previous is not None:
                # Keep who reported, drop what they reported: a follow-up opener needs a
                # previous plan, and the stored state must still validate when reloaded.
                previous = PreviousPlan(reporter=previous.reporter)
            state.plan = state.plan.model_copy(update={"previous_plan": previous})
        case e.AttendanceConfirmed():
            state.attendance[event.member_id] = event.status
        case e.CharterShown():
            state.charter = event.charter
        case e.CharterHidden():
            state.charter = None
        case e.DisplayTimerSet():
            state.display_timer = event.shown
        case _:
            assert_never(event)  # mypy proves every event is handled
