"""``/api/groups/{id}/meetings`` and ``/api/meetings/{id}``: scheduling meetings.

The organizer or a facilitator of the group schedules; every member of the group may read.
The plan (who, which roles, which timing) may change only while the meeting is in its lobby:
once it has started, the live write path (``app.meetings``) owns the state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, HttpUrl, StringConstraints, UrlConstraints
from sqlmodel import col, func, select, update

from app.api.auth import SESSION_COOKIE, CurrentIdentity, resolve_participant
from app.api.deps import ServicesDep, SessionDep, SettingsDep
from app.api.routes._access import Standing, group_for, meeting_for
from app.api.routes._scheduling import (
    PLAN_FIELDS,
    Consultations,
    MemberIds,
    MemberRef,
    Opener,
    Openers,
    PlanFields,
    StageMinutes,
    build_plan,
    fields_of,
)
from app.api.routes._schemas import Patch, UtcDatetime
from app.errors import Conflict, Gone, PermissionDenied
from app.export import to_markdown
from app.mail import meetings as meeting_mail
from app.realtime.broker import AccessChanged
from app.security import hash_token, new_token
from app.settings import Settings
from app.stages import MeetingPlan, MeetingState, Stage, new_meeting
from app.stages.errors import WrongStage
from app.store.db import checkpoint_wal
from app.store.models import Meeting, new_id

router = APIRouter(prefix="/api", tags=["meetings"])

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
VideoUrl = Annotated[HttpUrl, UrlConstraints(allowed_schemes=["https"], max_length=500)]
STARTED = "meeting has started"


class MeetingCreate(PlanFields):
    title: Title
    scheduled_for: UtcDatetime | None = None
    video_url: VideoUrl | None = None
    """The video call shown in the room, when the group does not meet in person."""


class MeetingUpdate(Patch):
    not_null = frozenset(
        {"title", "facilitator_id", "openers", "opener_minutes", "consultations", "no_trace"}
    )

    title: Title | None = None
    scheduled_for: UtcDatetime | None = None
    video_url: VideoUrl | None = None
    facilitator_id: MemberRef | None = None
    participant_ids: MemberIds | None = None
    """None: every member of the group."""
    openers: Openers | None = None
    opener_minutes: dict[Opener, StageMinutes] | None = None
    consultations: Consultations | None = None
    no_trace: bool | None = None


class MeetingSummary(BaseModel):
    id: str
    title: str
    scheduled_for: datetime | None
    stage: str
    room_url: str


class MeetingPublic(MeetingSummary):
    group_id: str
    cycle_id: str | None
    """The cycle the meeting belongs to (``GET /api/cycles/{id}``), if any."""
    video_url: str | None
    plan: MeetingPlan


class DisplayLink(BaseModel):
    url: str


def _room_url(settings: Settings, meeting_id: str) -> str:
    return f"{settings.base_url}/meeting.html?id={meeting_id}"


def _summary(meeting: Meeting, settings: Settings) -> MeetingSummary:
    return MeetingSummary(
        id=meeting.id,
        title=meeting.title,
        scheduled_for=meeting.scheduled_for,
        stage=meeting.stage,
        room_url=_room_url(settings, meeting.id),
    )


def _public(meeting: Meeting, settings: Settings) -> MeetingPublic:
    return MeetingPublic(
        **_summary(meeting, settings).model_dump(),
        group_id=meeting.group_id,
        cycle_id=meeting.cycle_id,
        video_url=meeting.video_url,
        plan=MeetingState.model_validate_json(meeting.state).plan,
    )


@router.post("/groups/{group_id}/meetings", status_code=status.HTTP_201_CREATED)
async def create_meeting(
    group_id: str,
    body: MeetingCreate,
    session: SessionDep,
    services: ServicesDep,
    who: CurrentIdentity,
) -> MeetingPublic:
    settings = services.settings
    group = await group_for(session, who, group_id, Standing.FACILITATOR)
    plan = await build_plan(session, group.id, body)
    meeting_id = new_id()
    meeting = Meeting(
        id=meeting_id,
        group_id=group.id,
        title=body.title,
        scheduled_for=body.scheduled_for,
        video_url=None if body.video_url is None else str(body.video_url),
        stage=Stage.LOBBY.value,
        seq=0,
        state=new_meeting(meeting_id, plan).model_dump_json(),
    )
    session.add(meeting)
    await meeting_mail.scheduled(services.mail, session, meeting)
    await session.commit()
    services.mail.wake()
    return _public(meeting, settings)


@router.get("/groups/{group_id}/meetings")
async def list_meetings(
    group_id: str, session: SessionDep, settings: SettingsDep, who: CurrentIdentity
) -> list[MeetingSummary]:
    """The group's meetings, latest first."""
    group = await group_for(session, who, group_id)
    when = func.coalesce(col(Meeting.scheduled_for), col(Meeting.created_at))
    query = (
        select(Meeting)
        .where(col(Meeting.group_id) == group.id)
        .order_by(when.desc(), col(Meeting.id))
    )
    return [_summary(meeting, settings) for meeting in (await session.exec(query)).all()]


@router.get("/meetings/{meeting_id}")
async def get_meeting(
    meeting_id: str, session: SessionDep, settings: SettingsDep, who: CurrentIdentity
) -> MeetingPublic:
    meeting, _group = await meeting_for(session, who, meeting_id)
    return _public(meeting, settings)


@router.patch("/meetings/{meeting_id}")
async def update_meeting(
    meeting_id: str,
    body: MeetingUpdate,
    session: SessionDep,
    services: ServicesDep,
    who: CurrentIdentity,
) -> MeetingPublic:
    """Change the title, date or video link any time; the plan only while in the lobby."""
    meeting, group = await meeting_for(session, who, meeting_id, Standing.FACILITATOR)
    was = meeting_mail.before(meeting)
    given = body.model_fields_set
    values: dict[str, object] = {
        name: getattr(body, name) for name in ("title", "scheduled_for") if name in given
    }
    if "video_url" in given:
        values["video_url"] = None if body.video_url is None else str(body.video_url)
    if given & PLAN_FIELDS:
        if meeting.stage != Stage.LOBBY.value:
            raise Conflict(STARTED)
        state = MeetingState.model_validate_json(meeting.state)
        plan_changes = body.model_dump(include=set(given & PLAN_FIELDS))
        fields = PlanFields.model_validate({**fields_of(state.plan), **plan_changes})
        plan = await build_plan(session, group.id, fields)
        try:
            # Through the live write path: open sockets see the new plan at once, and a
            # command that started the meeting first wins the compare-and-set.
            await services.meetings.replan(meeting.id, plan)
        except WrongStage:
            raise Conflict(STARTED) from None
        # Someone may have left the plan: their open sockets are decided again.
        await services.broker.publish_access(AccessChanged("meeting", meeting.id))
    if values:
        await session.exec(update(Meeting).where(col(Meeting.id) == meeting.id).values(**values))
        await session.commit()
    await session.refresh(meeting)
    if await meeting_mail.changed(services.mail, session, was, meeting):
        await session.commit()
        services.mail.wake()
    return _public(meeting, services.settings)


@router.delete("/meetings/{meeting_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_meeting(
    meeting_id: str, session: SessionDep, services: ServicesDep, who: CurrentIdentity
) -> None:
    """Deletes the meeting with its events (ON DELETE CASCADE); its sockets, on every process,
    get ``not_found`` and close with 4404."""
    meeting, _group = await meeting_for(session, who, meeting_id, Standing.FACILITATOR)
    services.tombstones.record("meeting", meeting.id)  # a restore must not bring it back
    await meeting_mail.cancelled(services.mail, session, meeting)
    await session.delete(meeting)
    await session.commit()
    services.mail.wake()
    await checkpoint_wal(services.engine)  # gone from SQLite's WAL too, not only from the rows
    services.meetings.forget(meeting_id)
    await services.broker.publish_access(AccessChanged("meeting", meeting_id))


@router.post("/meetings/{meeting_id}/display-link", status_code=status.HTTP_201_CREATED)
async def create_display_link(
    meeting_id: str, session: SessionDep, services: ServicesDep, who: CurrentIdentity
) -> DisplayLink:
    """A read-only link for a projector in the room; a new link replaces the previous one, and
    the displays opened with it are closed (4404)."""
    settings = services.settings
    meeting, _group = await meeting_for(session, who, meeting_id, Standing.FACILITATOR)
    key = new_token()
    meeting.display_key_hash = hash_token(settings.key, key)
    session.add(meeting)
    await session.commit()
    await services.broker.publish_access(AccessChanged("meeting", meeting.id))
    return DisplayLink(url=f"{settings.base_url}/display.html?meeting={meeting.id}&key={key}")


@router.get(
    "/meetings/{meeting_id}/export",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {}}}},
)
async def export_meeting(
    meeting_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    services: ServicesDep,
) -> PlainTextResponse:
    """The record as Markdown for the participant asking, with their own private notes only.

    In a no-trace meeting only the client may export, and only before the meeting ends: at
    the end the content is erased from the server.
    """
    token = request.cookies.get(SESSION_COOKIE)
    meeting, member_id = await resolve_participant(session, settings, token, meeting_id)
    state = await services.meetings.load(meeting.id)  # the snapshot and the events after it
    if state.plan.no_trace:
        clients = {c.client for c in state.plan.consultations}
        if member_id not in clients:
            raise PermissionDenied("in a no-trace meeting only the client may export")
        if state.stage is Stage.ENDED:
            raise Gone("this no-trace meeting has ended and its content was erased")
    body = to_markdown(state, meeting.title, member_id)
    filename = f"codev-{meeting.id[:8]}.md"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
    return PlainTextResponse(body, media_type="text/markdown; charset=utf-8", headers=headers)
