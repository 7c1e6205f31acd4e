"""The meeting state: everything a participant sees, in one serialisable value.

The state is rebuilt only by ``machine.evolve`` from events; nothing else mutates it.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Annotated, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from .plan import MeetingPlan
from .timer import Timer
from .vocabulary import (
    SIX_STAGES,
    Attendance,
    ClientSignal,
    ContributionKind,
    HelpType,
    Mark,
    Role,
    Stage,
    TopicType,
)

# How much one meeting may hold: a real consultation stays far below these.
MAX_QUESTIONS = 100
MAX_CONTRACT_VERSIONS = 50
MAX_REPHRASINGS = 50
MAX_CONTRIBUTIONS = 300
MAX_SIGNALS = 100
MAX_SCRIBE_NOTES = 200
MAX_ACTION_ITEMS = 20
MAX_PRIVATE_NOTES_PER_PERSON = 200
MAX_PROPOSALS = 20
MAX_FOLLOW_UP_REPORTS = 20


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Rating = Annotated[int, Field(ge=1, le=5)]


class Case(_Record):
    headline: str
    topic_type: TopicType
    context: str = ""
    question: str = ""


class Question(_Record):
    id: int
    author: str
    text: str
    at: datetime
    answer: str | None = None
    answered_at: datetime | None = None
    answered_aloud: bool = False
    """The client marked it answered aloud; unmarked and unwritten, a question stays neutral."""


class ContractVersion(_Record):
    version: int
    text: str
    help_wanted: tuple[HelpType, ...] = ()
    at: datetime


class Rephrasing(_Record):
    id: int
    author: str
    text: str
    contract_version: int
    at: datetime


class Contribution(_Record):
    id: int
    author: str
    kind: ContributionKind
    text: str
    at: datetime
    mark: Mark | None = None


class Signal(_Record):
    """A listening client's signal: off contract, or please clarify."""

    id: int
    signal: ClientSignal
    contribution_id: int | None = None
    at: datetime


class ScribeNote(_Record):
    id: int
    author: str
    text: str
    at: datetime


class ActionItem(_Record):
    id: int
    action: str
    objective: str = ""
    due: date | None = None
    indicator: str = ""
    follow_up: date | None = None


class Learning(_Record):
    author: str
    text: str
    at: datetime


class Ratings(_Record):
    """1-5 ratings of the consultation (never of a person)."""

    usefulness: Rating | None = None
    listening: Rating | None = None
    rules: Rating | None = None
    climate: Rating | None = None
    timing: Rating | None = None
    facilitation: Rating | None = None


class Evaluation(_Record):
    """The "4A" evaluation: appreciation, expectations, learnings, applications."""

    author: str
    appreciation: str = ""
    expectations: str = ""
    learnings: str = ""
    applications: str = ""
    ratings: Ratings = Ratings()
    at: datetime


class PrivateNote(_Record):
    id: int
    author: str
    text: str
    at: datetime


class TopicProposal(_Record):
    id: int
    author: str
    headline: str
    topic_type: TopicType
    at: datetime


class FollowUpReport(_Record):
    id: int
    author: str
    text: str
    at: datetime


class ShownCharter(_Record):
    """The version of the group's charter the facilitator shows to the room."""

    version: int
    text: str


class ConsultationRecord(BaseModel):
    """What one consultation has produced so far."""

    model_config = ConfigDict(extra="forbid")

    case: Case | None = None
    questions: list[Question] = []
    contract: list[ContractVersion] = []
    rephrasings: list[Rephrasing] = []
    contributions: list[Contribution] = []
    signals: list[Signal] = []
    scribe_notes: list[ScribeNote] = []
    synthesis: str = ""
    action_items: list[ActionItem] = []
    learnings: dict[str, Learning] = {}
    evaluations: dict[str, Evaluation] = {}
    shared: bool = False
    """The client shares the record with the group once the consultation is over (``audience``)."""


class Step(NamedTuple):
    """One entry of the agenda: a stage, and the consultation it belongs to (None for openers)."""

    stage: Stage
    consultation: int | None


def agenda(plan: MeetingPlan) -> tuple[Step, ...]:
    """Lobby, the chosen openers, six stages per consultation, the end."""
    return _agenda(plan.openers, len(plan.consultations))


@cache  # every command asks (its stage, its roles); few plans differ in what shapes the agenda
def _agenda(openers: tuple[Stage, ...], consultations: int) -> tuple[Step, ...]:
    steps = [Step(Stage.LOBBY, None)]
    steps += [Step(opener, None) for opener in openers]
    for index in range(consultations):
        steps += [Step(stage, index) for stage in SIX_STAGES]
    steps.append(Step(Stage.ENDED, None))
    return tuple(steps)


def conclusion_step(plan: MeetingPlan, consultation: int) -> int:
    """The index in ``agenda(plan)`` of consultation ``consultation``'s last stage."""
    return 1 + len(plan.openers) + len(SIX_STAGES) * consultation + len(SIX_STAGES) - 1


class MeetingState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meeting_id: str
    plan: MeetingPlan
    seq: int = 0
    """The seq of the last event applied; events are numbered 1, 2, 3... with no gap."""
    step: int = 0
    """Index of the current step in ``agenda(plan)``."""
    timer: Timer | None = None
    left_timers: dict[int, Timer] = {}
    """The paused timer of each step left before its end, by step: it resumes on return."""
    consultations: list[ConsultationRecord] = []
    ready: list[str] = []
    """Who signalled "ready" in the current step."""
    hands: list[str] = []
    """The speaking queue, first raised first."""
    speaker: str | None = None
    proposals: list[TopicProposal] = []
    follow_up_reports: list[FollowUpReport] = []
    private_notes: list[PrivateNote] = []
    attendance: dict[str, Attendance] = {}
    """Attendance the facilitator confirmed, by member; the proposal comes from presence."""
    charter: ShownCharter | None = None
    """The charter shown to everyone, until the facilitator hides it."""
    display_timer: bool = True
    """Whether the room display shows the timer (everyone else always sees it)."""

    @property
    def current(self) -> Step:
        return agenda(self.plan)[self.step]

    @property
    def stage(self) -> Stage:
        return self.current.stage

    @property
    def consultation_index(self) -> int:
        """The consultation whose roles apply now: the current one, else the next, else the last."""
        steps = agenda(self.plan)
        for step in steps[self.step :]:
            if step.consultation is not None:
                return step.consultation
        return len(self.plan.consultations) - 1

    def role_of(self, member: str) -> Role | None:
        return self.plan.role_in(self.consultation_index, member)

    def consultation_over(self, consultation: int) -> bool:
        """Whether the meeting has left that consultation's conclusion (or ended): steps never
        go back across consultations, so once over it stays over."""
        return self.step > conclusion_step(self.plan, consultation)

    def view_for(self, member: str | None) -> dict[str, object]:
        """The state as ``member`` may see it (``audience.seen_by``), for a snapshot."""
        from .audience import seen_by  # the audience rules read the state: imported late

        data = seen_by(self, member).model_dump(mode="json")
        data["stage"] = self.stage.value
        data["consultation"] = self.current.consultation
        return data


def new_meeting(meeting_id: str, plan: MeetingPlan) -> MeetingState:
    return MeetingState(
        meeting_id=meeting_id,
        plan=plan,
        consultations=[ConsultationRecord() for _ in plan.consultations],
    )
