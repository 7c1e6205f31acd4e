"""Plain factory functions for API tests: people, groups, members, invites and meetings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any
from urllib.parse import urlparse

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from app.stages import MeetingState, Stage, agenda
from app.stages.state import ActionItem, Case, ConsultationRecord
from app.stages.vocabulary import TopicType
from app.store.models import Meeting, Organizer

ORIGIN = "http://127.0.0.1:8000"
PASSWORD = "correct horse battery staple"
PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
"""A cheap argon2id hash: verifying reads the cost from the hash, so test logins stay fast."""

Json = dict[str, Any]


def browser(app: FastAPI) -> httpx.AsyncClient:
    """A client with its own cookie jar that, like a browser, sends its page's Origin."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=ORIGIN, headers={"Origin": ORIGIN}
    )


@asynccontextmanager
async def database(app: FastAPI) -> AsyncIterator[AsyncSession]:
    """A session on the app's database, to arrange or inspect rows behind the API's back."""
    async with app.state.services.sessions() as session:
        yield session


async def make_organizer(
    app: FastAPI,
    client: httpx.AsyncClient,
    email: str = "olivia@example.org",
    name: str = "Olivia Organizer",
) -> Json:
    """An organizer account, signed in on ``client``."""
    async with database(app) as session:
        session.add(Organizer(email=email, name=name, password_hash=PASSWORD_HASH))
        await session.commit()
    response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    result: Json = response.json()
    return result


async def make_group(
    client: httpx.AsyncClient, name: str = "Managers' circle", **fields: Any
) -> Json:
    response = await client.post("/api/groups", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


async def make_member(client: httpx.AsyncClient, group_id: str, name: str, **fields: Any) -> Json:
    response = await client.post(f"/api/groups/{group_id}/members", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


async def make_members(client: httpx.AsyncClient, group_id: str, *names: str) -> list[Json]:
    return [await make_member(client, group_id, name) for name in names]


async def invite_path(client: httpx.AsyncClient, member_id: str) -> str:
    """The path of a fresh invite link for the member (made by the organizer on ``client``)."""
    response = await client.post(f"/api/members/{member_id}/invite")
    assert response.status_code == 201, response.text
    url: str = response.json()["url"]
    return urlparse(url).path


async def sign_in_member(
    organizer: httpx.AsyncClient, member: httpx.AsyncClient, member_id: str
) -> None:
    """Open a fresh invite link for ``member_id`` in the ``member`` browser."""
    response = await member.get(await invite_path(organizer, member_id))
    assert response.status_code == 303, response.text


def facilitator_of(group: Json) -> str:
    """The organizer's own member row, made with the group."""
    ids: list[str] = [m["id"] for m in group["members"] if m["is_organizer"]]
    return ids[0]


async def make_meeting(
    client: httpx.AsyncClient, group: Json, client_id: str | None = None, **fields: Any
) -> Json:
    """A meeting facilitated by the organizer, with one 90-minute consultation."""
    body: Json = {
        "title": "November meeting",
        "consultations": [{"client_id": client_id, "preset": "90"}],
        **fields,
    }
    if "facilitator_id" not in body:
        body["facilitator_id"] = facilitator_of(group)
    if client_id is None and not {"consultations", "openers"} & fields.keys():
        body["openers"] = ["client_choice"]
    response = await client.post(f"/api/groups/{group['id']}/meetings", json=body)
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


async def end_meeting(
    app: FastAPI, meeting_id: str, client_id: str, headline: str = "Leading former peers"
) -> None:
    """Store the meeting as ended, its client having left an action plan (a past meeting)."""
    async with database(app) as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        state = MeetingState.model_validate_json(meeting.state)
        plan = state.plan.with_client(0, client_id)
        record = ConsultationRecord(
            case=Case(headline=headline, topic_type=TopicType.PROBLEM),
            synthesis="one-to-ones first",
            action_items=[ActionItem(id=1, action="Hold one-to-ones", due=date(2027, 1, 15))],
        )
        steps = agenda(plan)
        ended = state.model_copy(
            update={"plan": plan, "step": len(steps) - 1, "consultations": [record]}
        )
        assert ended.stage is Stage.ENDED
        meeting.state = ended.model_dump_json()
        meeting.stage = Stage.ENDED.value
        session.add(meeting)
        await session.commit()
