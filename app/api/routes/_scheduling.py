"""From a scheduling form to a ``MeetingPlan``: member ids checked against the group, names and
languages copied from the roster, and the follow-up's previous action plan looked up.

The plan itself (``app.stages.plan``) decides whether roles clash; this module only refuses ids
that are not members of the group, and turns the plan's refusals into 422 answers.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, ValidationError, model_validator
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.api.routes._schemas import Body
from app.api.routes.members import group_members
from app.errors import InvalidRequest
from app.stages import MeetingPlan, MeetingState, PreviousPlan, Stage
from app.stages.plan import DEFAULT_OPENER_MINUTES, ActionItemRecord, Preset
from app.stages.vocabulary import OPENERS
from app.store.models import Meeting

MemberRef = Annotated[str, StringConstraints(min_length=1, max_length=64)]
StageMinutes = Annotated[int, Field(ge=1, le=240)]
Opener = Literal["check_in", "follow_up", "client_choice"]
PresetName = Literal["120", "90", "60", "45", "custom"]
MemberIds = Annotated[list[MemberRef], Field(max_length=20)]
Openers = Annotated[list[Opener], Field(max_length=3)]


class ConsultationIn(Body):
    client_id: MemberRef | None = None
    """None: the client is chosen in the meeting (needs the client_choice opener)."""
    scribe_id: MemberRef | None = None
    timekeeper_id: MemberRef | None = None
    observer_ids: Annotated[list[MemberRef], Field(max_length=10)] = []
    preset: PresetName = "90"
    minutes: Annotated[list[StageMinutes], Field(min_length=6, max_length=6)] | None = None
    """Minutes of stages 1-6, for the custom preset only."""
    strict_silent_client: bool = False

    @model_validator(mode="after")
    def _minutes_only_when_custom(self) -> Self:
        if self.preset != "custom" and self.minutes is not None:
            raise ValueError(f"minutes are for the custom preset; preset {self.preset} has its own")
        return self


Consultations = Annotated[list[ConsultationIn], Field(min_length=1, max_length=2)]


class PlanFields(Body):
    """The part of a meeting that becomes its plan; fixed once the meeting leaves the lobby."""

    facilitator_id: MemberRef
    participant_ids: MemberIds | None = None
    """None: every member of the group."""
    openers: Openers = []
    opener_minutes: dict[Opener, StageMinutes] = {}
    consultations: Consultations
    no_trace: bool = False
    """Case content is purged when the meeting ends; only the client may export it before."""


PLAN_FIELDS = frozenset(PlanFields.model_fields)


async def build_plan(session: AsyncSession, group_id: str, fields: PlanFields) -> MeetingPlan:
    """The plan these fields describe, or InvalidRequest saying what is wrong with them."""
    roster = {member.id: member for member in await group_members(session, group_id)}
    chosen = roster if fields.participant_ids is None else fields.participant_ids
    ids = list(dict.fromkeys(chosen))
    named: list[str | None] = [fields.facilitator_id, *ids]
    for c in fields.consultations:
        named += [c.client_id, c.scribe_id, c.timekeeper_id, *c.observer_ids]
    strangers = [m for m in dict.fromkeys(named) if m is not None and m not in roster]
    if strangers:
        listed = ", ".join(strangers)
        raise InvalidRequest(f"not members of this group: {listed}")
    previous = None
    if "follow_up" in fields.openers:
        previous = await previous_plan(session, group_id)
    opener_minutes: dict[str, int] = {s.value: m for s, m in DEFAULT_OPENER_MINUTES.items()}
    for opener, minutes in fields.opener_minutes.items():
        opener_minutes[opener] = minutes
    try:
        return MeetingPlan.model_validate(
            {
                "facilitator": fields.facilitator_id,
                "participants": {
                    m: {"name": roster[m].name, "language": roster[m].language} for m in ids
                },
                "openers": fields.openers,
                "opener_minutes": opener_minutes,
                "consultations": [
                    {
                        "client": c.client_id,
                        "scribe": c.scribe_id,
                        "timekeeper": c.timekeeper_id,
                        "observers": c.observer_ids,
                        "preset": c.preset,
                        "minutes": c.minutes,
                        "strict_silent_client": c.strict_silent_client,
                    }
                    for c in fields.consultations
                ],
                "no_trace": fields.no_trace,
                "previous_plan": previous,
            }
        )
    except ValidationError as exc:
        raise InvalidRequest(_plan_message(exc)) from exc


def fields_of(plan: MeetingPlan) -> dict[str, object]:
    """The fields that would build ``plan`` again: the base a partial update applies to."""
    return {
        "facilitator_id": plan.facilitator,
        "participant_ids": list(plan.participants),
        "openers": [opener.value for opener in plan.openers],
        "opener_minutes": {s.value: m for s, m in plan.opener_minutes.items() if s in OPENERS},
        "consultations": [
            {
                "client_id": c.client,
                "scribe_id": c.scribe,
                "timekeeper_id": c.timekeeper,
                "observer_ids": list(c.observers),
                "preset": c.preset.value,
                "minutes": list(c.minutes or ()) if c.preset is Preset.CUSTOM else None,
                "strict_silent_client": c.strict_silent_client,
            }
            for c in plan.consultations
        ],
        "no_trace": plan.no_trace,
    }


async def previous_plan(session: AsyncSession, group_id: str) -> PreviousPlan:
    """The action plan of the group's latest ended consultation, for the follow-up opener."""
    latest = func.coalesce(col(Meeting.scheduled_for), col(Meeting.created_at))
    query = (
        select(Meeting.state)
        .where(col(Meeting.group_id) == group_id, col(Meeting.stage) == Stage.ENDED.value)
        .order_by(latest.desc(), col(Meeting.created_at).desc())
        .limit(10)
    )
    for text in (await session.exec(query)).all():
        state = MeetingState.model_validate_json(text)
        if state.stage is not Stage.ENDED:
            continue
        pairs = zip(state.plan.consultations, state.consultations, strict=False)
        for plan, record in reversed(list(pairs)):
            if plan.client is None:
                continue
            return PreviousPlan(
                reporter=plan.client,
                headline=record.case.headline if record.case else "",
                synthesis=record.synthesis,
                action_items=tuple(
                    ActionItemRecord(action=item.action, due=item.due, indicator=item.indicator)
                    for item in record.action_items
                ),
            )
    raise InvalidRequest("no previous consultation to follow up")


def _plan_message(exc: ValidationError) -> str:
    """The plan's own words ("one person holds two roles ..."), without pydantic's prefix."""
    error = exc.errors()[0]
    message = str(error.get("msg", "invalid plan")).removeprefix("Value error, ")
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {message}".lower() if where else message.lower()
