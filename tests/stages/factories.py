"""Plain factory functions for the stage machine's tests: plans, meetings, meetings mid-way.

The cast is the same everywhere: Fran facilitates, Cleo is the client, Sam is the scribe, Tim
keeps time, Olga observes, Kim and Kai consult. Zed takes no part in the meeting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.stages import (
    Command,
    ConsultationPlan,
    MeetingPlan,
    MeetingState,
    Participant,
    PreviousPlan,
    Role,
    Stage,
    apply,
    new_meeting,
)
from app.stages import commands as c
from app.stages.events import Event
from app.stages.plan import ActionItemRecord

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

FACILITATOR = "fran"
CLIENT = "cleo"
SCRIBE = "sam"
TIMEKEEPER = "tim"
OBSERVER = "olga"
KIM = "kim"
KAI = "kai"
STRANGER = "zed"
MEMBERS = (CLIENT, SCRIBE, TIMEKEEPER, OBSERVER, KIM, KAI)
"""Everyone in the default plan except the facilitator."""

ACTOR_OF: dict[Role, str] = {
    Role.FACILITATOR: FACILITATOR,
    Role.CLIENT: CLIENT,
    Role.SCRIBE: SCRIBE,
    Role.TIMEKEEPER: TIMEKEEPER,
    Role.OBSERVER: OBSERVER,
    Role.CONSULTANT: KIM,
}
"""Who holds each role in the default plan's (first) consultation."""

ALL_OPENERS = (Stage.CHECK_IN, Stage.FOLLOW_UP, Stage.CLIENT_CHOICE)


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    """A moment ``minutes`` and ``seconds`` after ``NOW``."""
    return NOW + timedelta(minutes=minutes, seconds=seconds)


def make_participants(*members: str) -> dict[str, Participant]:
    return {member: Participant(name=member.capitalize()) for member in members}


def make_consultation(**overrides: Any) -> ConsultationPlan:
    """The first consultation of the default plan: every role held by someone."""
    fields: dict[str, Any] = {
        "client": CLIENT,
        "scribe": SCRIBE,
        "timekeeper": TIMEKEEPER,
        "observers": (OBSERVER,),
    }
    return ConsultationPlan(**(fields | overrides))


def make_previous_plan(reporter: str = KAI) -> PreviousPlan:
    return PreviousPlan(
        reporter=reporter,
        headline="Onboarding a new team",
        synthesis="I keep the buddy idea",
        action_items=(ActionItemRecord(action="Pair each newcomer with a buddy"),),
    )


def make_plan(
    *,
    openers: tuple[Stage, ...] = (),
    consultations: tuple[ConsultationPlan, ...] | None = None,
    previous_plan: PreviousPlan | None = None,
    members: tuple[str, ...] = (FACILITATOR, *MEMBERS),
    **overrides: Any,
) -> MeetingPlan:
    """A valid plan; a follow-up opener gets Kai's previous plan unless one is given."""
    if previous_plan is None and Stage.FOLLOW_UP in openers:
        previous_plan = make_previous_plan()
    return MeetingPlan(
        facilitator=FACILITATOR,
        participants=make_participants(*members),
        openers=openers,
        consultations=consultations if consultations is not None else (make_consultation(),),
        previous_plan=previous_plan,
        **overrides,
    )


def make_two_consultation_plan(**overrides: Any) -> MeetingPlan:
    """Cleo is the first client, Kim the second; Kai scribes the second consultation."""
    second = ConsultationPlan(client=KIM, scribe=KAI)
    return make_plan(consultations=(make_consultation(), second), **overrides)


def make_meeting(plan: MeetingPlan | None = None, meeting_id: str = "meeting-1") -> MeetingState:
    return new_meeting(meeting_id, plan if plan is not None else make_plan())


def run(
    state: MeetingState, actor: str, command: Command, now: datetime = NOW
) -> tuple[MeetingState, list[Event]]:
    """``apply``, checking on the way that the input is untouched and the seqs follow on."""
    before = state.model_dump()
    new, events = apply(state, command, actor, now)
    assert state.model_dump() == before
    assert [event.seq for event in events] == list(
        range(state.seq + 1, state.seq + 1 + len(events))
    )
    assert new.seq == state.seq + len(events)
    return new, events


def act(state: MeetingState, actor: str, command: Command, now: datetime = NOW) -> MeetingState:
    return run(state, actor, command, now)[0]


def member_with_role(state: MeetingState, role: Role) -> str:
    """The first member (in plan order) holding ``role`` in the consultation that applies now."""
    for member in state.plan.participants:
        if state.role_of(member) is role:
            return member
    raise LookupError(f"nobody is {role.value} now")


def advance(state: MeetingState, now: datetime = NOW) -> MeetingState:
    return act(state, state.plan.facilitator, c.AdvanceStage(expected_stage=state.stage), now)


SEEDS: dict[Stage, tuple[Role, Command]] = {
    Stage.PRESENTATION: (
        Role.CLIENT,
        c.SetCase(headline="A team in turmoil", topic_type="problem"),
    ),
    Stage.CLARIFICATION: (Role.CONSULTANT, c.AskQuestion(text="How long has this lasted?")),
    Stage.CONTRACT: (Role.CLIENT, c.SetContract(text="Help me to calm the team")),
    Stage.CONSULTATION: (Role.CONSULTANT, c.AddContribution(kind="suggestion", text="Meet 1:1")),
    Stage.SYNTHESIS: (Role.CLIENT, c.SaveActionItem(action="Book one-to-ones")),
}
"""What each stage usually produces, and who produces it."""


def seed(state: MeetingState, now: datetime = NOW) -> MeetingState:
    """Produce the current stage's usual artefact, so later stages have items to act on."""
    if state.stage not in SEEDS:
        return state
    role, command = SEEDS[state.stage]
    return act(state, member_with_role(state, role), command, now)


def meeting_in_stage(
    stage: Stage,
    *,
    plan: MeetingPlan | None = None,
    consultation: int = 0,
    seeded: bool = True,
    now: datetime = NOW,
) -> MeetingState:
    """A meeting walked by its facilitator from the lobby to ``stage`` (of ``consultation``).

    With ``seeded``, each stage on the way (and ``stage`` itself) gets its usual artefact: the
    case, a question, a contract, a contribution, an action item.
    """
    state = make_meeting(plan)
    while True:
        here = state.current
        if here.stage is stage and here.consultation in (None, consultation):
            return seed(state, now) if seeded else state
        if here.stage is Stage.ENDED:
            raise LookupError(f"{stage.value} is not on this meeting's agenda")
        if seeded:
            state = seed(state, now)
        state = advance(state, now)
