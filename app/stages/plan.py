"""A meeting's plan: who takes part, in which role, which openers, how long each stage lasts.

The plan is chosen when the meeting is scheduled and travels inside the meeting state, so the
pure machine can check roles without asking a database.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .errors import InvalidPlan
from .vocabulary import OPENERS, SIX_STAGES, Role, Stage

MemberId = Annotated[str, Field(min_length=1, max_length=64)]
Minutes = Annotated[int, Field(ge=1, le=240)]


class Preset(StrEnum):
    """Timing presets from practice; minutes for stages 1-6."""

    STANDARD_120 = "120"
    STANDARD_90 = "90"
    EXPRESS_60 = "60"
    FLASH_45 = "45"
    CUSTOM = "custom"


PRESET_MINUTES: dict[Preset, tuple[int, int, int, int, int, int]] = {
    Preset.STANDARD_120: (15, 20, 10, 40, 15, 20),
    Preset.STANDARD_90: (10, 15, 5, 30, 15, 15),
    Preset.EXPRESS_60: (5, 10, 5, 20, 10, 10),
    Preset.FLASH_45: (5, 8, 2, 15, 10, 5),
}

DEFAULT_OPENER_MINUTES: dict[Stage, int] = {
    Stage.CHECK_IN: 10,
    Stage.FOLLOW_UP: 10,
    Stage.CLIENT_CHOICE: 5,
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Participant(_Frozen):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    language: Annotated[str, Field(pattern=r"^(en|fr)$")] = "en"


class ConsultationPlan(_Frozen):
    """One client case: its roles, its timing and its variant."""

    client: MemberId | None = None
    scribe: MemberId | None = None
    timekeeper: MemberId | None = None
    observers: tuple[MemberId, ...] = ()
    preset: Preset = Preset.STANDARD_90
    minutes: tuple[Minutes, Minutes, Minutes, Minutes, Minutes, Minutes] | None = None
    strict_silent_client: bool = False

    @model_validator(mode="after")
    def _minutes_match_preset(self) -> Self:
        if self.preset is Preset.CUSTOM and self.minutes is None:
            raise ValueError("a custom preset needs minutes for the six stages")
        if self.preset is not Preset.CUSTOM and self.minutes is None:
            object.__setattr__(self, "minutes", PRESET_MINUTES[self.preset])
        return self

    def stage_minutes(self, stage: Stage) -> int:
        assert self.minutes is not None  # filled by the validator
        return self.minutes[SIX_STAGES.index(stage)]


class ActionItemRecord(_Frozen):
    """An action item carried from the previous client's plan into this meeting's follow-up."""

    action: str
    due: date | None = None
    indicator: str = ""


class PreviousPlan(_Frozen):
    """What the follow-up opener reviews: the last client's action plan in this group."""

    reporter: MemberId
    headline: str = ""
    synthesis: str = ""
    action_items: tuple[ActionItemRecord, ...] = ()


class MeetingPlan(_Frozen):
    facilitator: MemberId
    participants: dict[MemberId, Participant]
    openers: tuple[Stage, ...] = ()
    opener_minutes: dict[Stage, Minutes] = Field(
        default_factory=lambda: dict(DEFAULT_OPENER_MINUTES)
    )
    consultations: Annotated[tuple[ConsultationPlan, ...], Field(min_length=1, max_length=2)]
    no_trace: bool = False
    previous_plan: PreviousPlan | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        try:
            check_plan(self)
        except InvalidPlan as exc:
            raise ValueError(str(exc)) from exc
        return self

    def role_in(self, consultation: int, member: str) -> Role | None:
        """The member's role in consultation ``consultation``, or None for a stranger."""
        if member == self.facilitator:
            return Role.FACILITATOR
        if member not in self.participants:
            return None
        plan = self.consultations[consultation]
        if member in plan.observers:
            return Role.OBSERVER
        if member == plan.client:
            return Role.CLIENT
        if member == plan.scribe:
            return Role.SCRIBE
        if member == plan.timekeeper:
            return Role.TIMEKEEPER
        return Role.CONSULTANT

    def with_client(self, consultation: int, member: str) -> MeetingPlan:
        consultations = list(self.consultations)
        current = consultations[consultation]
        consultations[consultation] = current.model_copy(
            update={
                "client": member,
                "scribe": None if current.scribe == member else current.scribe,
                "timekeeper": None if current.timekeeper == member else current.timekeeper,
            }
        )
        return self.model_copy(update={"consultations": tuple(consultations)})


def check_plan(plan: MeetingPlan) -> None:
    """Raise InvalidPlan unless every named person takes part and roles do not clash."""
    people = plan.participants
    if plan.facilitator not in people:
        raise InvalidPlan("the facilitator must be one of the participants")
    if len(people) > 11:
        raise InvalidPlan("a meeting holds at most 10 members and a facilitator")
    if len(set(plan.openers)) != len(plan.openers) or any(o not in OPENERS for o in plan.openers):
        raise InvalidPlan("openers are check_in, follow_up and client_choice, each at most once")
    if Stage.FOLLOW_UP in plan.openers and plan.previous_plan is None:
        raise InvalidPlan("a follow-up needs a previous client's action plan")
    clients = [c.client for c in plan.consultations if c.client is not None]
    if len(set(clients)) != len(clients):
        raise InvalidPlan("each consultation needs its own client")
    for index, consultation in enumerate(plan.consultations, start=1):
        named = [consultation.client, consultation.scribe, consultation.timekeeper]
        named += list(consultation.observers)
        for member in named:
            if member is not None and member not in people:
                raise InvalidPlan(
                    f"consultation {index} names {member!r}, who is not a participant"
                )
            if member is not None and member == plan.facilitator:
                raise InvalidPlan(
                    f"the facilitator cannot hold another role in consultation {index}"
                )
        if consultation.client is None and Stage.CLIENT_CHOICE not in plan.openers:
            raise InvalidPlan(f"consultation {index} needs a client, or a client_choice opener")
        roles = [m for m in named if m is not None]
        if len(set(roles)) != len(roles):
            raise InvalidPlan(f"one person holds two roles in consultation {index}")
        consultants = set(people) - {plan.facilitator, consultation.client}
        consultants -= set(consultation.observers)
        if not consultants:
            raise InvalidPlan(f"consultation {index} needs at least one consultant")
