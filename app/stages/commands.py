"""What participants ask the meeting to do. Shapes only; whether it is allowed is the machine's job.

Each command is a pydantic model with a literal ``type``; ``Command`` is their discriminated union.
Text fields are bounded here, so an oversize field is refused before it reaches the machine.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .state import Ratings
from .vocabulary import (
    Attendance,
    ClientSignal,
    ContributionKind,
    HelpType,
    Mark,
    Stage,
    TopicType,
)

Short = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1, max_length=2_000)]
LongText = Annotated[str, Field(max_length=8_000)]
OptionalText = Annotated[str, Field(max_length=2_000)]
ItemId = Annotated[int, Field(ge=1)]


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Moving through the agenda (facilitator)
class AdvanceStage(_Command):
    type: Literal["advance_stage"] = "advance_stage"
    expected_stage: Stage


class ReturnToStage(_Command):
    type: Literal["return_to_stage"] = "return_to_stage"
    expected_stage: Stage
    stage: Stage


class EndMeeting(_Command):
    type: Literal["end_meeting"] = "end_meeting"
    expected_stage: Stage


# Timer (facilitator, timekeeper)
class PauseTimer(_Command):
    type: Literal["pause_timer"] = "pause_timer"


class ResumeTimer(_Command):
    type: Literal["resume_timer"] = "resume_timer"


class ExtendTimer(_Command):
    type: Literal["extend_timer"] = "extend_timer"
    seconds: Annotated[int, Field(ge=1, le=3_600)]


# Openers
class ReportFollowUp(_Command):
    type: Literal["report_follow_up"] = "report_follow_up"
    text: Text


class ProposeTopic(_Command):
    type: Literal["propose_topic"] = "propose_topic"
    headline: Short
    topic_type: TopicType = TopicType.PROBLEM


class ChooseClient(_Command):
    type: Literal["choose_client"] = "choose_client"
    consultation: Annotated[int, Field(ge=0, le=1)] = 0
    member_id: Short


# 1 Presentation
class SetCase(_Command):
    type: Literal["set_case"] = "set_case"
    headline: Short
    topic_type: TopicType
    context: LongText = ""
    question: OptionalText = ""


# 2 Clarification
class AskQuestion(_Command):
    type: Literal["ask_question"] = "ask_question"
    text: Text


class AnswerQuestion(_Command):
    type: Literal["answer_question"] = "answer_question"
    question_id: ItemId
    text: Text


class MarkAnsweredAloud(_Command):
    """The client answered aloud: one click, no text; ``answered=False`` takes the mark back."""

    type: Literal["mark_answered_aloud"] = "mark_answered_aloud"
    question_id: ItemId
    answered: bool = True


# 3 Contract
class SetContract(_Command):
    type: Literal["set_contract"] = "set_contract"
    text: Annotated[str, Field(min_length=1, max_length=8_000)]
    help_wanted: Annotated[tuple[HelpType, ...], Field(max_length=5)] = ()


class RephraseContract(_Command):
    type: Literal["rephrase_contract"] = "rephrase_contract"
    text: Text


# 4 Consultation
class AddContribution(_Command):
    type: Literal["add_contribution"] = "add_contribution"
    kind: ContributionKind
    text: Text


class MarkContribution(_Command):
    type: Literal["mark_contribution"] = "mark_contribution"
    contribution_id: ItemId
    mark: Mark | None


class SignalClient(_Command):
    type: Literal["signal"] = "signal"
    signal: ClientSignal
    contribution_id: ItemId | None = None


class WithdrawSignal(_Command):
    """The client takes back one of their signals (sent by mistake, or no longer needed)."""

    type: Literal["withdraw_signal"] = "withdraw_signal"
    signal_id: ItemId


class WithdrawItem(_Command):
    """An author takes back their own question, rephrasing or contribution, while its stage runs."""

    type: Literal["withdraw_item"] = "withdraw_item"
    item_id: ItemId


class EditItem(_Command):
    """An author rewrites their own question, rephrasing or contribution, while its stage runs."""

    type: Literal["edit_item"] = "edit_item"
    item_id: ItemId
    text: Text


class SetItemAside(_Command):
    """The facilitator takes an item off the projector and the record (e.g. advice in disguise)."""

    type: Literal["set_item_aside"] = "set_item_aside"
    item_id: ItemId


class AddScribeNote(_Command):
    type: Literal["add_scribe_note"] = "add_scribe_note"
    text: Annotated[str, Field(min_length=1, max_length=8_000)]


# 5 Synthesis and action plan
class SetSynthesis(_Command):
    type: Literal["set_synthesis"] = "set_synthesis"
    text: LongText


class SaveActionItem(_Command):
    type: Literal["save_action_item"] = "save_action_item"
    item_id: ItemId | None = None
    """None adds a new item; an id replaces that item."""
    action: Short
    objective: OptionalText = ""
    due: date | None = None
    indicator: OptionalText = ""
    follow_up: date | None = None


class RemoveActionItem(_Command):
    type: Literal["remove_action_item"] = "remove_action_item"
    item_id: ItemId


# 6 Conclusion
class PostLearning(_Command):
    type: Literal["post_learning"] = "post_learning"
    text: Text


class SubmitEvaluation(_Command):
    type: Literal["submit_evaluation"] = "submit_evaluation"
    appreciation: OptionalText = ""
    expectations: OptionalText = ""
    learnings: OptionalText = ""
    applications: OptionalText = ""
    ratings: Ratings = Ratings()


# After a consultation (and after the meeting)
class ShareRecord(_Command):
    type: Literal["share_record"] = "share_record"
    consultation: Annotated[int, Field(ge=0, le=1)] = 0
    shared: bool


# Any stage
class AddPrivateNote(_Command):
    type: Literal["add_private_note"] = "add_private_note"
    text: Annotated[str, Field(min_length=1, max_length=8_000)]


class SetReady(_Command):
    type: Literal["set_ready"] = "set_ready"
    ready: bool = True


class RaiseHand(_Command):
    type: Literal["raise_hand"] = "raise_hand"


class LowerHand(_Command):
    type: Literal["lower_hand"] = "lower_hand"


class CallOn(_Command):
    type: Literal["call_on"] = "call_on"
    member_id: Short


class ClearQueue(_Command):
    type: Literal["clear_queue"] = "clear_queue"


# Across the cycle (facilitator): attendance, and the group's charter shown to the room
class ConfirmAttendance(_Command):
    type: Literal["confirm_attendance"] = "confirm_attendance"
    member_id: Short
    status: Attendance


class ShowCharter(_Command):
    """The facilitator revisits the group's charter: everyone sees it until it is hidden."""

    type: Literal["show_charter"] = "show_charter"
    version: Annotated[int, Field(ge=1)]
    text: Annotated[str, Field(min_length=1, max_length=20_000)]


class HideCharter(_Command):
    type: Literal["hide_charter"] = "hide_charter"


class SetDisplayTimer(_Command):
    """The facilitator shows or hides the room display's timer (time advises, never presses)."""

    type: Literal["set_display_timer"] = "set_display_timer"
    shown: bool


Command = Annotated[
    AdvanceStage
    | ReturnToStage
    | EndMeeting
    | PauseTimer
    | ResumeTimer
    | ExtendTimer
    | ReportFollowUp
    | ProposeTopic
    | ChooseClient
    | SetCase
    | AskQuestion
    | AnswerQuestion
    | MarkAnsweredAloud
    | SetContract
    | RephraseContract
    | AddContribution
    | MarkContribution
    | SignalClient
    | WithdrawSignal
    | WithdrawItem
    | EditItem
    | SetItemAside
    | AddScribeNote
    | SetSynthesis
    | SaveActionItem
    | RemoveActionItem
    | PostLearning
    | SubmitEvaluation
    | ShareRecord
    | AddPrivateNote
    | SetReady
    | RaiseHand
    | LowerHand
    | CallOn
    | ClearQueue
    | ConfirmAttendance
    | ShowCharter
    | HideCharter
    | SetDisplayTimer,
    Field(discriminator="type"),
]

COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
COMMAND_TYPES: tuple[str, ...] = tuple(
    model.model_fields["type"].default for model in _Command.__subclasses__()
)
