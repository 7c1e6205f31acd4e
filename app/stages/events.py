"""What happened in a meeting. Events are numbered by ``seq`` (1, 2, 3... per meeting, no gaps)
and carry the server time ``at``; ``machine.evolve`` folds them into the state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .plan import MeetingPlan
from .state import (
    ActionItem,
    Case,
    ContractVersion,
    Contribution,
    Evaluation,
    FollowUpReport,
    Learning,
    PrivateNote,
    Question,
    Rephrasing,
    ScribeNote,
    ShownCharter,
    Signal,
    TopicProposal,
)
from .timer import Timer
from .vocabulary import Attendance, Mark, Stage


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    at: datetime


class _ConsultationEvent(_Event):
    consultation: int


class StageChanged(_Event):
    type: Literal["stage_changed"] = "stage_changed"
    step: int
    stage: Stage
    consultation: int | None
    timer: Timer | None
    closes: tuple[int, ...] = ()
    """The consultations this move ends: their records now belong to their clients."""


class TimerChanged(_Event):
    type: Literal["timer_changed"] = "timer_changed"
    timer: Timer


class FollowUpReported(_Event):
    type: Literal["follow_up_reported"] = "follow_up_reported"
    report: FollowUpReport


class TopicProposed(_Event):
    type: Literal["topic_proposed"] = "topic_proposed"
    proposal: TopicProposal


class ClientChosen(_Event):
    type: Literal["client_chosen"] = "client_chosen"
    plan: MeetingPlan
    """The plan with the chosen client in place: roles follow from it."""


class PlanChanged(_Event):
    """The organizer changed the plan before the meeting started (people, roles, timing)."""

    type: Literal["plan_changed"] = "plan_changed"
    plan: MeetingPlan


class CaseSet(_ConsultationEvent):
    type: Literal["case_set"] = "case_set"
    case: Case


class QuestionAsked(_ConsultationEvent):
    type: Literal["question_asked"] = "question_asked"
    question: Question


class QuestionAnswered(_ConsultationEvent):
    type: Literal["question_answered"] = "question_answered"
    question_id: int
    answer: str


class QuestionAnsweredAloud(_ConsultationEvent):
    type: Literal["question_answered_aloud"] = "question_answered_aloud"
    question_id: int
    answered: bool


class ContractSet(_ConsultationEvent):
    type: Literal["contract_set"] = "contract_set"
    contract: ContractVersion


class ContractRephrased(_ConsultationEvent):
    type: Literal["contract_rephrased"] = "contract_rephrased"
    rephrasing: Rephrasing


class ContributionAdded(_ConsultationEvent):
    type: Literal["contribution_added"] = "contribution_added"
    contribution: Contribution


class ContributionMarked(_ConsultationEvent):
    type: Literal["contribution_marked"] = "contribution_marked"
    contribution_id: int
    mark: Mark | None


class ClientSignalled(_ConsultationEvent):
    type: Literal["client_signalled"] = "client_signalled"
    signal: Signal


class ItemWithdrawn(_ConsultationEvent):
    """A question, rephrasing or contribution leaves the record: withdrawn, or set aside."""

    type: Literal["item_withdrawn"] = "item_withdrawn"
    item_id: int
    set_aside: bool = False


class ItemEdited(_ConsultationEvent):
    type: Literal["item_edited"] = "item_edited"
    item_id: int
    author: str
    text: str


class ItemSetAside(_ConsultationEvent):
    """Tells an author which of their items the facilitator set aside (``audience``: they two)."""

    type: Literal["item_set_aside"] = "item_set_aside"
    item_id: int
    author: str
    text: str


class SignalWithdrawn(_ConsultationEvent):
    type: Literal["signal_withdrawn"] = "signal_withdrawn"
    signal_id: int


class ScribeNoteAdded(_ConsultationEvent):
    type: Literal["scribe_note_added"] = "scribe_note_added"
    note: ScribeNote


class SynthesisSet(_ConsultationEvent):
    type: Literal["synthesis_set"] = "synthesis_set"
    text: str


class ActionItemSaved(_ConsultationEvent):
    type: Literal["action_item_saved"] = "action_item_saved"
    item: ActionItem


class ActionItemRemoved(_ConsultationEvent):
    type: Literal["action_item_removed"] = "action_item_removed"
    item_id: int


class LearningPosted(_ConsultationEvent):
    type: Literal["learning_posted"] = "learning_posted"
    learning: Learning


class EvaluationSubmitted(_ConsultationEvent):
    type: Literal["evaluation_submitted"] = "evaluation_submitted"
    evaluation: Evaluation


class RecordShared(_ConsultationEvent):
    """The client shares the consultation's record with the group, or takes it back."""

    type: Literal["record_shared"] = "record_shared"
    shared: bool


class PrivateNoteAdded(_Event):
    type: Literal["private_note_added"] = "private_note_added"
    note: PrivateNote


class ReadyChanged(_Event):
    type: Literal["ready_changed"] = "ready_changed"
    member_id: str
    ready: bool


class HandRaised(_Event):
    type: Literal["hand_raised"] = "hand_raised"
    member_id: str


class HandLowered(_Event):
    type: Literal["hand_lowered"] = "hand_lowered"
    member_id: str


class SpeakerCalled(_Event):
    type: Literal["speaker_called"] = "speaker_called"
    member_id: str


class QueueCleared(_Event):
    type: Literal["queue_cleared"] = "queue_cleared"


class ContentPurged(_Event):
    """No-trace mode: the meeting ended and its case content is erased everywhere."""

    type: Literal["content_purged"] = "content_purged"


class AttendanceConfirmed(_Event):
    type: Literal["attendance_confirmed"] = "attendance_confirmed"
    member_id: str
    status: Attendance


class CharterShown(_Event):
    type: Literal["charter_shown"] = "charter_shown"
    charter: ShownCharter


class CharterHidden(_Event):
    type: Literal["charter_hidden"] = "charter_hidden"


class DisplayTimerSet(_Event):
    type: Literal["display_timer_set"] = "display_timer_set"
    shown: bool


class Redacted(_Event):
    """Stands in for an event the receiver may not see, so its ``seq`` stream stays gap-free."""

    type: Literal["redacted"] = "redacted"


Event = Annotated[
    StageChanged
    | TimerChanged
    | FollowUpReported
    | TopicProposed
    | ClientChosen
    | PlanChanged
    | CaseSet
    | QuestionAsked
    | QuestionAnswered
    | QuestionAnsweredAloud
    | ContractSet
    | ContractRephrased
    | ContributionAdded
    | ContributionMarked
    | ClientSignalled
    | SignalWithdrawn
    | ItemWithdrawn
    | ItemEdited
    | ItemSetAside
    | ScribeNoteAdded
    | SynthesisSet
    | ActionItemSaved
    | ActionItemRemoved
    | LearningPosted
    | EvaluationSubmitted
    | RecordShared
    | PrivateNoteAdded
    | ReadyChanged
    | HandRaised
    | HandLowered
    | SpeakerCalled
    | QueueCleared
    | ContentPurged
    | AttendanceConfirmed
    | CharterShown
    | CharterHidden
    | DisplayTimerSet
    | Redacted,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def redacted(event: Event) -> Redacted:
    return Redacted(seq=event.seq, at=event.at)
