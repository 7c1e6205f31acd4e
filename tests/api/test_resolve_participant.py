"""``resolve_participant``: who a session acts as in a meeting, for the WebSocket handshake."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import update

from app.api.auth import resolve_participant
from app.errors import AppError, NotAuthenticated, NotFound, PermissionDenied
from app.settings import Settings
from app.store.models import AuthSession, Meeting, utcnow
from tests.api.factories import (
    Json,
    browser,
    database,
    facilitator_of,
    make_group,
    make_meeting,
    make_members,
    make_organizer,
    sign_in_member,
)


async def _resolve(app: FastAPI, token: str | None, meeting_id: str) -> tuple[Meeting, str]:
    async with database(app) as session:
        return await resolve_participant(session, app.state.services.settings, token, meeting_id)


async def _refused(app: FastAPI, token: str | None, meeting_id: str) -> type[AppError]:
    with pytest.raises(AppError) as refused:
        await _resolve(app, token, meeting_id)
    return type(refused.value)


async def _meeting(app: FastAPI, client: httpx.AsyncClient) -> tuple[Json, Json, dict[str, Json]]:
    """A group of three members and a meeting without Ben."""
    await make_organizer(app, client)
    group = await make_group(client)
    members = {
        m["name"]: m for m in await make_members(client, group["id"], "Claire", "Sam", "Ben")
    }
    participants = [facilitator_of(group), members["Claire"]["id"], members["Sam"]["id"]]
    meeting = await make_meeting(
        client, group, members["Claire"]["id"], participant_ids=participants
    )
    return group, meeting, members


async def test_a_member_session_acts_as_that_member(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _group, meeting, members = await _meeting(app, client)
    async with browser(app) as claire:
        await sign_in_member(client, claire, members["Claire"]["id"])
        row, member_id = await _resolve(app, claire.cookies["codev_session"], meeting["id"])
    assert row.id == meeting["id"]
    assert member_id == members["Claire"]["id"]


async def test_an_organizer_session_acts_as_their_own_member_row(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    group, meeting, _members = await _meeting(app, client)
    _row, member_id = await _resolve(app, client.cookies["codev_session"], meeting["id"])
    assert member_id == facilitator_of(group)


@pytest.mark.parametrize("token", [None, "", "made-up", "x" * 500])
async def test_no_valid_session_is_not_authenticated(
    app: FastAPI, client: httpx.AsyncClient, token: str | None
) -> None:
    _group, meeting, _members = await _meeting(app, client)
    assert await _refused(app, token, meeting["id"]) is NotAuthenticated


async def test_an_expired_session_is_not_authenticated(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _group, meeting, _members = await _meeting(app, client)
    async with database(app) as session:
        await session.exec(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    assert await _refused(app, client.cookies["codev_session"], meeting["id"]) is NotAuthenticated


async def test_an_unknown_meeting_is_not_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    await _meeting(app, client)
    assert await _refused(app, client.cookies["codev_session"], "no-such-meeting") is NotFound


async def test_people_of_other_groups_do_not_learn_the_meeting_exists(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _group, meeting, _members = await _meeting(app, client)
    other = await make_group(client, "Other")
    [stranger] = await make_members(client, other["id"], "Stranger")
    async with browser(app) as member, browser(app) as bruno:
        await sign_in_member(client, member, stranger["id"])
        assert await _refused(app, member.cookies["codev_session"], meeting["id"]) is NotFound
        await make_organizer(app, bruno, email="bruno@example.org", name="Bruno")
        assert await _refused(app, bruno.cookies["codev_session"], meeting["id"]) is NotFound


async def test_a_group_member_who_is_not_a_participant_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _group, meeting, members = await _meeting(app, client)
    async with browser(app) as ben:
        await sign_in_member(client, ben, members["Ben"]["id"])
        token = ben.cookies["codev_session"]
        assert await _refused(app, token, meeting["id"]) is PermissionDenied


async def test_an_organizer_who_is_not_a_member_of_their_group_is_refused(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_organizer(app, client)
    group = await make_group(client, add_me_as_facilitator=False)
    claire, sam, ana = await make_members(client, group["id"], "Claire", "Sam", "Ana")
    await client.patch(f"/api/members/{ana['id']}", json={"is_facilitator": True})
    meeting = await make_meeting(client, group, claire["id"], facilitator_id=ana["id"])
    assert sam["id"] in meeting["plan"]["participants"]
    assert await _refused(app, client.cookies["codev_session"], meeting["id"]) is PermissionDenied
