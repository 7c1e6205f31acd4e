"""``/api/groups/{id}/cycles`` and ``/api/cycles/{id}``: a group's cycles, their meetings,
rotation and attendance.

Creating a cycle schedules all its meetings at once, with a first rotation so that every member
(facilitators aside) is client once. Rotation and attendance are then read from the meetings'
own states and presence (``app.cycles``); a swap re-plans lobby meetings through the live write
path, so open rooms see it at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, Field, StrictInt, StringConstraints
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.api.auth import CurrentIdentity
from app.api.deps import ServicesDep, SessionDep
from app.api.routes._access import Standing, group_for
from app.api.routes._scheduling import (
    ConsultationIn,
    MemberRef,
    Openers,
    PlanFields,
    PresetName,
    build_plan,
    fields_of,
)
from app.api.routes._schemas import Body, UtcDatetime
from app.api.routes.meetings import STARTED, VideoUrl
from app.api.routes.members import group_members
from app.cycles import (
    CycleMeeting,
    Slot,
    attendance,
    calendar,
    first_rotation,
    proposals,
    standings,
    swapped,
)
from app.errors import Conflict, InvalidRequest, NotFound
from app.realtime.broker import AccessChanged
from app.services import Services
from app.stages import MeetingPlan, MeetingState, Stage, new_meeting
from app.stages.errors import WrongStage
from app.store.models import Cycle, Meeting, MeetingPresence, Member, new_id

router = APIRouter(prefix="/api", tags=["cycles"])

CycleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
MAX_MEETINGS = 24


class CycleCreate(Body):
    name: CycleName
    starts_at: UtcDatetime
    """The first meeting: its date and time of day (with its UTC offset)."""
    rhythm_weeks: Annotated[StrictInt, Field(ge=1, le=12)] = 4
    planned_meetings: Annotated[StrictInt, Field(ge=1, le=MAX_MEETINGS)] | None = None
    """None: as many meetings as members (facilitators aside), so that each is client once."""
    consultations_per_meeting: Annotated[StrictInt, Field(ge=1, le=2)] = 1
    facilitator_id: MemberRef
    openers: Openers = []
    preset: PresetName = "90"
    video_url: VideoUrl | None = None


class SwapBody(Body):
    member_ids: Annotated[list[MemberRef], Field(min_length=2, max_length=2)]


class CycleSummary(BaseModel):
    id: str
    group_id: str
    name: str
    starts_at: datetime
    rhythm_weeks: int
    planned_meetings: int


class MeetingInCycle(BaseModel):
    id: str
    title: str
    scheduled_for: datetime | None
    stage: str
    clients: list[str | None]
    attendance: dict[str, str]
    """member id → present, excused or absent (empty before the meeting starts)."""
    confirmed: list[str]
    """The members whose attendance the facilitator confirmed (the others are proposed)."""
    proposed: list[str | None]
    """For a lobby meeting's consultations without a client: the member due next (else None)."""


class MemberInCycle(BaseModel):
    id: str
    name: str
    client_at: str | None
    planned_at: str | None
    due: bool
    absent_last_time: bool


class CyclePublic(CycleSummary):
    meetings: list[MeetingInCycle]
    members: list[MemberInCycle]


def _summary(cycle: Cycle) -> CycleSummary:
    return CycleSummary.model_validate(cycle, from_attributes=True)


async def _cycle_for(
    session: AsyncSession, who: CurrentIdentity, cycle_id: str, need: Standing
) -> Cycle:
    cycle = await session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound("there is no such cycle")
    try:
        await group_for(session, who, cycle.group_id, need)
    except NotFound:
        raise NotFound("there is no such cycle") from None
    return cycle


async def _meetings(
    session: AsyncSession, services: Services, cycle_id: str
) -> list[tuple[Meeting, CycleMeeting]]:
    query = (
        select(Meeting)
        .where(col(Meeting.cycle_id) == cycle_id)
        .order_by(col(Meeting.scheduled_for), col(Meeting.created_at), col(Meeting.id))
    )
    rows = list((await session.exec(query)).all())
    ids = [m.id for m in rows]
    present: dict[str, set[str]] = {}
    if ids:
        seen = select(MeetingPresence).where(col(MeetingPresence.meeting_id).in_(ids))
        for fact in (await session.exec(seen)).all():
            present.setdefault(fact.meeting_id, set()).add(fact.member_id)
    found = []
    for m in rows:
        # The row's snapshot may lag its log (attendance confirmed since): read the state as
        # the write path knows it, from this process's cache when it is current.
        state = (
            MeetingState.model_validate_json(m.state)
            if m.stage == Stage.LOBBY.value
            else await services.meetings.current(m.id, at_least=m.seq)
        )
        found.append((m, CycleMeeting(m.id, state, frozenset(present.get(m.id, ())))))
    return found


def _rotating(members: list[Member]) -> list[Member]:
    """The members who take turns as client: everyone but the facilitators."""
    return [m for m in members if not m.is_facilitator]


async def _public(session: AsyncSession, services: Services, cycle: Cycle) -> CyclePublic:
    meetings = await _meetings(session, services, cycle.id)
    members = _rotating(await group_members(session, cycle.group_id))
    cycle_meetings = [cm for _, cm in meetings]
    names = {m.id: m.name for m in members}
    rows = standings(names, cycle_meetings)
    proposed = proposals(rows, cycle_meetings)
    return CyclePublic(
        **_summary(cycle).model_dump(),
        meetings=[
            MeetingInCycle(
                id=row.id,
                title=row.title,
                scheduled_for=row.scheduled_for,
                stage=row.stage,
                clients=cm.clients,
                attendance={k: v.status.value for k, v in attendance(cm).items()},
                confirmed=[k for k, v in attendance(cm).items() if v.confirmed],
                proposed=[proposed.get(Slot(cm.id, i)) for i in range(len(cm.clients))],
            )
            for row, cm in meetings
        ],
        members=[
            MemberInCycle(
                id=r.member_id,
                name=names[r.member_id],
                client_at=r.client_at,
                planned_at=r.planned_at,
                due=r.due,
                absent_last_time=r.absent_last_time,
            )
            for r in rows
        ],
    )


@router.post("/groups/{group_id}/cycles", status_code=status.HTTP_201_CREATED)
async def create_cycle(
    group_id: str,
    body: CycleCreate,
    session: SessionDep,
    services: ServicesDep,
    who: CurrentIdentity,
) -> CyclePublic:
    """A cycle and all its meetings, each with its client from a first rotation."""
    group = await group_for(session, who, group_id, Standing.FACILITATOR)
    rotating = [m.id for m in _rotating(await group_members(session, group.id))]
    rotating = [m for m in rotating if m != body.facilitator_id]
    per = body.consultations_per_meeting
    count = body.planned_meetings or max(1, -(-len(rotating) // per))
    cycle = Cycle(
        group_id=group.id,
        name=body.name,
        starts_at=body.starts_at,
        rhythm_weeks=body.rhythm_weeks,
        planned_meetings=count,
    )
    meetings: list[Meeting] = []
    turns = first_rotation(rotating, count, per)
    for number, (moment, clients) in enumerate(
        zip(calendar(body.starts_at, body.rhythm_weeks, count), turns, strict=True), start=1
    ):
        openers = list(body.openers)
        if None in clients and "client_choice" not in openers:
            openers.append("client_choice")  # nobody left in the rotation: chosen on the day
        fields = PlanFields(
            facilitator_id=body.facilitator_id,
            openers=openers,
            consultations=[ConsultationIn(client_id=c, preset=body.preset) for c in clients],
        )
        plan = await build_plan(session, group.id, fields)  # refuses a stranger, a clash
        meeting_id = new_id()
        meetings.append(
            Meeting(
                id=meeting_id,
                group_id=group.id,
                cycle_id=cycle.id,
                title=f"{body.name} · {number}",
                scheduled_for=moment,
                video_url=None if body.video_url is None else str(body.video_url),
                stage=Stage.LOBBY.value,
                seq=0,
                state=new_meeting(meeting_id, plan).model_dump_json(),
            )
        )
    session.add(cycle)
    await session.flush()  # the cycle before the meetings that point to it
    session.add_all(meetings)
    await session.commit()
    return await _public(session, services, cycle)


@router.get("/groups/{group_id}/cycles")
async def list_cycles(
    group_id: str, session: SessionDep, who: CurrentIdentity
) -> list[CycleSummary]:
    """The group's cycles, latest first."""
    group = await group_for(session, who, group_id)
    query = (
        select(Cycle)
        .where(col(Cycle.group_id) == group.id)
        .order_by(col(Cycle.starts_at).desc(), col(Cycle.id))
    )
    return [_summary(cycle) for cycle in (await session.exec(query)).all()]


@router.get("/cycles/{cycle_id}")
async def get_cycle(
    cycle_id: str, session: SessionDep, services: ServicesDep, who: CurrentIdentity
) -> CyclePublic:
    """The cycle's meetings, rotation and attendance (members of the group read it)."""
    cycle = await _cycle_for(session, who, cycle_id, Standing.MEMBER)
    return await _public(session, services, cycle)


@router.post("/cycles/{cycle_id}/rotation/swap")
async def swap_turns(
    cycle_id: str,
    body: SwapBody,
    session: SessionDep,
    services: ServicesDep,
    who: CurrentIdentity,
) -> CyclePublic:
    """Two members swap their turns as client (in meetings still in their lobby)."""
    cycle = await _cycle_for(session, who, cycle_id, Standing.FACILITATOR)
    a, b = body.member_ids
    if a == b:
        raise InvalidRequest("member_ids: name two different members")
    meetings = await _meetings(session, services, cycle.id)
    cycle_meetings = [cm for _, cm in meetings]
    rotating = {m.id for m in _rotating(await group_members(session, cycle.group_id))}
    strangers = [m for m in (a, b) if m not in rotating]
    if strangers:
        raise InvalidRequest(f"not members who take turns in this group: {', '.join(strangers)}")
    try:
        changes = swapped(a, b, cycle_meetings)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    done = {r.member_id: r.client_at for r in standings(rotating, cycle_meetings)}
    for member in changes.values():
        if done.get(member) is not None:
            raise InvalidRequest(f"{member} has already been client in this cycle")
    await _reassign(session, services, cycle.group_id, cycle_meetings, changes)
    session.expunge_all()  # the meetings were re-planned behind this session: read them again
    return await _public(session, services, cycle)


@router.post("/cycles/{cycle_id}/rotation/fill")
async def fill_turns(
    cycle_id: str, session: SessionDep, services: ServicesDep, who: CurrentIdentity
) -> CyclePublic:
    """Give each meeting still in its lobby and without a client the next member due (for
    example one who joined the group after the cycle was planned)."""
    cycle = await _cycle_for(session, who, cycle_id, Standing.FACILITATOR)
    cycle_meetings = [cm for _, cm in await _meetings(session, services, cycle.id)]
    rotating = [m.id for m in _rotating(await group_members(session, cycle.group_id))]
    changes = proposals(standings(rotating, cycle_meetings), cycle_meetings)
    await _reassign(session, services, cycle.group_id, cycle_meetings, changes)
    session.expunge_all()
    return await _public(session, services, cycle)


async def _reassign(
    session: AsyncSession,
    services: Services,
    group_id: str,
    meetings: list[CycleMeeting],
    changes: dict[Slot, str],
) -> None:
    """Re-plan the lobby meetings whose clients change, through the live write path."""
    by_meeting: dict[str, dict[int, str]] = {}
    for slot, member in changes.items():
        by_meeting.setdefault(slot.meeting_id, {})[slot.consultation] = member
    states = {cm.id: cm.state for cm in meetings}
    plans: list[tuple[str, MeetingPlan]] = []
    for meeting_id, clients in by_meeting.items():
        fields = PlanFields.model_validate(fields_of(states[meeting_id].plan))
        for index, member in clients.items():
            if fields.participant_ids is not None and member not in fields.participant_ids:
                fields.participant_ids.append(member)  # joined the group after it was planned
            old = fields.consultations[index]
            fields.consultations[index] = old.model_copy(
                update={
                    "client_id": member,
                    "scribe_id": None if old.scribe_id == member else old.scribe_id,
                    "timekeeper_id": None if old.timekeeper_id == member else old.timekeeper_id,
                    "observer_ids": [o for o in old.observer_ids if o != member],
                }
            )
        plans.append((meeting_id, await build_plan(session, group_id, fields)))
    await _replan_all(services, plans)


async def _replan_all(services: Services, plans: list[tuple[str, MeetingPlan]]) -> None:
    for meeting_id, plan in plans:
        try:
            await services.meetings.replan(meeting_id, plan)
        except WrongStage:
            raise Conflict(STARTED) from None
        await services.broker.publish_access(AccessChanged("meeting", meeting_id))
