"""The group's charter over REST: versions, and each member's agreement with its time."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select

from app.store.models import CharterAcceptance, CharterVersion
from tests.api.factories import (
    browser,
    database,
    make_group,
    make_meeting,
    make_members,
    make_organizer,
    sign_in_member,
)

Json = dict[str, Any]
FIRST = "What is said here stays here."
SECOND = "What is said here stays here. We tell the group when we cannot come."


async def _setup(client: httpx.AsyncClient, app: FastAPI) -> tuple[Json, list[Json], Json]:
    await make_organizer(app, client)
    group = await make_group(client)
    members = await make_members(client, group["id"], "Ana", "Ben")
    meeting = await make_meeting(client, group, client_id=members[0]["id"])
    return group, members, meeting


async def _save(client: httpx.AsyncClient, group: Json, text: str) -> httpx.Response:
    return await client.post(f"/api/groups/{group['id']}/charter", json={"text": text})


async def test_each_save_of_the_charter_is_a_new_version(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, _, _ = await _setup(client, app)
    empty = (await client.get(f"/api/groups/{group['id']}/charter")).json()
    assert empty["current"] is None
    first = await _save(client, group, FIRST)
    assert first.status_code == 201, first.text
    assert (first.json()["version"], first.json()["saved_by"]) == (1, "Olivia Organizer")
    second = await _save(client, group, SECOND)
    assert second.json()["version"] == 2
    current = (await client.get(f"/api/groups/{group['id']}/charter")).json()["current"]
    assert (current["version"], current["text"]) == (2, SECOND)
    async with database(app) as session:
        texts = [v.text for v in (await session.exec(select(CharterVersion))).all()]
    assert sorted(texts) == sorted([FIRST, SECOND])  # the first version is kept, not rewritten


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": "   "}, "text"),
        ({"text": "x" * 20_001}, "text"),
        ({"text": FIRST}, "unchanged"),
        ({"text": 3}, "text"),
        ({}, "text"),
    ],
)
async def test_a_bad_charter_is_refused_and_the_current_version_stays(
    client: httpx.AsyncClient, app: FastAPI, body: Json, message: str
) -> None:
    group, _, _ = await _setup(client, app)
    await _save(client, group, FIRST)
    response = await client.post(f"/api/groups/{group['id']}/charter", json=body)
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]
    current = (await client.get(f"/api/groups/{group['id']}/charter")).json()["current"]
    assert (current["version"], current["text"]) == (1, FIRST)


async def test_a_member_reads_the_charter_but_may_not_change_it_nor_see_who_agreed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, _), _ = await _setup(client, app)
    await _save(client, group, FIRST)
    async with browser(app) as member:
        await sign_in_member(client, member, ana["id"])
        read = (await member.get(f"/api/groups/{group['id']}/charter")).json()
        assert read["current"]["text"] == FIRST
        assert read["acceptances"] == []
        refused = await _save(member, group, SECOND)
        assert refused.status_code == 403
    current = (await client.get(f"/api/groups/{group['id']}/charter")).json()["current"]
    assert current["version"] == 1


async def test_a_member_agrees_to_the_current_version_on_entering_and_the_time_is_kept(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, ben), meeting = await _setup(client, app)
    await _save(client, group, FIRST)
    async with browser(app) as member:
        await sign_in_member(client, member, ana["id"])
        before = (await member.get(f"/api/meetings/{meeting['id']}/charter")).json()
        assert (before["current"]["version"], before["accepted_at"]) == (1, None)
        agreed = await member.post(
            f"/api/meetings/{meeting['id']}/charter/accept", json={"version": 1}
        )
        assert agreed.status_code == 200, agreed.text
        assert agreed.json()["accepted_at"] is not None
        again = await member.post(
            f"/api/meetings/{meeting['id']}/charter/accept", json={"version": 1}
        )
        assert again.json()["accepted_at"] == agreed.json()["accepted_at"]  # the first time
        after = (await member.get(f"/api/meetings/{meeting['id']}/charter")).json()
        assert after["accepted_at"] == agreed.json()["accepted_at"]

    seen = (await client.get(f"/api/groups/{group['id']}/charter")).json()["acceptances"]
    by_name = {row["name"]: row for row in seen}
    assert by_name["Ana"]["version"] == 1
    assert by_name["Ana"]["accepted_at"] == agreed.json()["accepted_at"]
    assert (by_name["Ben"]["version"], by_name["Ben"]["accepted_at"]) == (None, None)
    assert ben["id"] in {row["member_id"] for row in seen}


async def test_a_new_version_must_be_agreed_again_and_an_outdated_one_is_refused(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, _), meeting = await _setup(client, app)
    await _save(client, group, FIRST)
    async with browser(app) as member:
        await sign_in_member(client, member, ana["id"])
        url = f"/api/meetings/{meeting['id']}/charter"
        await member.post(f"{url}/accept", json={"version": 1})
        await _save(client, group, SECOND)
        now = (await member.get(url)).json()
        assert (now["current"]["version"], now["accepted_at"]) == (2, None)
        stale = await member.post(f"{url}/accept", json={"version": 1})
        assert stale.status_code == 409
        assert "version 2" in stale.json()["error"]["message"]
        for bad in ({"version": 0}, {"version": "2"}, {}):
            assert (await member.post(f"{url}/accept", json=bad)).status_code == 422
    async with database(app) as session:
        rows = (await session.exec(select(CharterAcceptance))).all()
    assert len(rows) == 1  # only the agreement to version 1


async def test_agreeing_without_a_charter_or_outside_the_meeting_is_refused(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, _), meeting = await _setup(client, app)
    url = f"/api/meetings/{meeting['id']}/charter"
    async with browser(app) as member:
        await sign_in_member(client, member, ana["id"])
        none = await member.post(f"{url}/accept", json={"version": 1})
        assert none.status_code == 404
        assert none.json()["error"]["message"] == "this group has no charter"
    async with browser(app) as stranger:
        assert (await stranger.get(url)).status_code == 401
        await make_organizer(app, stranger, email="oscar@example.org")
        assert (await stranger.get(f"/api/groups/{group['id']}/charter")).status_code == 404
        assert (await _save(stranger, group, FIRST)).status_code == 404


async def test_deleting_the_saver_leaves_no_name_behind_and_deleting_the_group_leaves_no_row(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    group, (ana, _), meeting = await _setup(client, app)
    made = await client.patch(f"/api/members/{ana['id']}", json={"is_facilitator": True})
    assert made.status_code == 200, made.text
    async with browser(app) as member:
        await sign_in_member(client, member, ana["id"])
        saved = await _save(member, group, FIRST)
        assert saved.json()["saved_by"] == "Ana"
        url = f"/api/meetings/{meeting['id']}/charter/accept"
        assert (await member.post(url, json={"version": 1})).status_code == 200
    assert (await client.delete(f"/api/members/{ana['id']}")).status_code == 204
    current = (await client.get(f"/api/groups/{group['id']}/charter")).json()["current"]
    assert (current["text"], current["saved_by"]) == (FIRST, None)
    async with database(app) as session:
        assert (await session.exec(select(CharterAcceptance))).all() == []

    assert (await client.delete(f"/api/groups/{group['id']}")).status_code == 204
    async with database(app) as session:
        assert (await session.exec(select(CharterVersion))).all() == []
