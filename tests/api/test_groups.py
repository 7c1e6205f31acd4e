"""Groups and their members: what an organizer manages, and what other people cannot see."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.stages.commands import AdvanceStage
from tests.api.factories import (
    browser,
    database,
    make_group,
    make_meeting,
    make_member,
    make_members,
    make_organizer,
    sign_in_member,
)


async def test_creating_a_group_makes_the_organizer_its_facilitator(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    organizer = await make_organizer(app, client)
    group = await make_group(client, "Managers' circle")
    assert group["name"] == "Managers' circle"
    [me] = group["members"]
    assert me["name"] == organizer["name"]
    assert me["is_facilitator"] is True
    assert me["is_organizer"] is True
    named = await make_group(client, "Second", my_name="Olivia P.")
    assert named["members"][0]["name"] == "Olivia P."
    bare = await make_group(client, "Third", add_me_as_facilitator=False)
    assert bare["members"] == []
    listed = (await client.get("/api/groups")).json()
    assert [g["name"] for g in listed] == ["Managers' circle", "Second", "Third"]


async def test_a_group_is_read_renamed_and_listed_with_its_members(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    group = await make_group(client)
    await make_members(client, group["id"], "Claire", "Sam")
    detail = (await client.get(f"/api/groups/{group['id']}")).json()
    assert [m["name"] for m in detail["members"]] == ["Olivia Organizer", "Claire", "Sam"]
    renamed = await client.patch(f"/api/groups/{group['id']}", json={"name": "  Leaders  "})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Leaders"
    assert (await client.get(f"/api/groups/{group['id']}")).json()["name"] == "Leaders"


async def test_a_group_keeps_case_content_a_year_unless_its_organizer_says_otherwise(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    group = await make_group(client)
    assert group["retention_days"] == 365
    changed = await client.patch(f"/api/groups/{group['id']}", json={"retention_days": 90})
    assert (changed.status_code, changed.json()["retention_days"]) == (200, 90)
    assert (await client.get(f"/api/groups/{group['id']}")).json()["retention_days"] == 90


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": None}, "name cannot be null"),
        ({"name": "ok", "owner": "me"}, "owner"),
        ({"retention_days": 0}, "retention_days"),
        ({"retention_days": 3651}, "retention_days"),
        ({"retention_days": "30"}, "retention_days"),
        ({"retention_days": None}, "retention_days cannot be null"),
    ],
)
async def test_invalid_group_bodies_are_refused_with_invalid(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, object], where: str
) -> None:
    await make_organizer(app, client)
    group = await make_group(client)
    response = await client.patch(f"/api/groups/{group['id']}", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert where in response.json()["error"]["message"]


async def test_another_organizers_group_is_not_found(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    group = await make_group(client)
    [claire] = await make_members(client, group["id"], "Claire")
    async with browser(app) as bruno:
        await make_organizer(app, bruno, email="bruno@example.org", name="Bruno")
        assert (await bruno.get("/api/groups")).json() == []
        gid = group["id"]
        for method, path, body in [
            ("GET", f"/api/groups/{gid}", None),
            ("PATCH", f"/api/groups/{gid}", {"name": "Mine now"}),
            ("DELETE", f"/api/groups/{gid}", None),
            ("GET", f"/api/groups/{gid}/members", None),
            ("POST", f"/api/groups/{gid}/members", {"name": "Mole"}),
            ("PATCH", f"/api/members/{claire['id']}", {"name": "Mole"}),
            ("DELETE", f"/api/members/{claire['id']}", None),
            ("POST", f"/api/members/{claire['id']}/invite", None),
            ("DELETE", f"/api/members/{claire['id']}/invite", None),
            ("GET", f"/api/groups/{gid}/meetings", None),
        ]:
            response = await bruno.request(method, path, json=body)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "not_found"
    assert (await client.get(f"/api/groups/{gid}")).json()["name"] == group["name"]


async def test_unknown_ids_are_not_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    await make_organizer(app, client)
    for method, path in [
        ("GET", "/api/groups/nope"),
        ("DELETE", "/api/groups/nope"),
        ("GET", "/api/groups/nope/members"),
        ("DELETE", "/api/members/nope"),
        ("POST", "/api/members/nope/invite"),
        ("GET", "/api/meetings/nope"),
        ("DELETE", "/api/meetings/nope"),
    ]:
        response = await client.request(method, path)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "not_found"


async def test_nobody_signed_in_sees_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    await make_organizer(app, client)
    group = await make_group(client)
    async with browser(app) as stranger:
        for path in ("/api/groups", f"/api/groups/{group['id']}", "/api/me"):
            assert (await stranger.get(path)).status_code == 401


async def test_a_member_sees_only_their_own_group_and_cannot_manage_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    group = await make_group(client)
    other = await make_group(client, "Other group")
    claire = await make_member(client, group["id"], "Claire", email="claire@example.org")
    async with browser(app) as member:
        await sign_in_member(client, member, claire["id"])
        assert [g["id"] for g in (await member.get("/api/groups")).json()] == [group["id"]]
        members = (await member.get(f"/api/groups/{group['id']}/members")).json()
        assert {m["name"] for m in members} == {"Olivia Organizer", "Claire"}
        assert all(m["email"] is None for m in members)  # addresses stay with the organizer
        assert (await member.get(f"/api/groups/{other['id']}")).status_code == 404
        for method, path, body in [
            ("PATCH", f"/api/groups/{group['id']}", {"name": "Ours"}),
            ("DELETE", f"/api/groups/{group['id']}", None),
            ("POST", f"/api/groups/{group['id']}/members", {"name": "Friend"}),
            ("PATCH", f"/api/members/{claire['id']}", {"is_facilitator": True}),
            ("POST", "/api/groups", {"name": "Mine"}),
        ]:
            response = await member.request(method, path, json=body)
            assert response.status_code == 403, (method, path, response.text)


async def test_members_are_added_changed_and_removed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    group = await make_group(client)
    claire = await make_member(
        client, group["id"], "Claire", email="claire@example.org", language="fr"
    )
    assert claire["language"] == "fr"
    assert claire["email"] == "claire@example.org"
    assert claire["is_facilitator"] is False
    assert claire["is_organizer"] is False
    changed = await client.patch(
        f"/api/members/{claire['id']}", json={"is_facilitator": True, "email": None}
    )
    assert changed.status_code == 200
    assert changed.json()["is_facilitator"] is True
    assert changed.json()["email"] is None
    assert changed.json()["language"] == "fr"
    assert (await client.delete(f"/api/members/{claire['id']}")).status_code == 204
    members = (await client.get(f"/api/groups/{group['id']}/members")).json()
    assert [m["name"] for m in members] == ["Olivia Organizer"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Claire", "language": "de"},
        {"name": "Claire", "email": "not-an-address"},
        {"name": "   "},
        {"name": "Claire", "role": "admin"},
        {"name": "Claire", "is_facilitator": "sometimes"},
    ],
)
async def test_invalid_member_bodies_are_refused_with_invalid(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    await make_organizer(app, client)
    group = await make_group(client)
    response = await client.post(f"/api/groups/{group['id']}/members", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


async def test_a_sixteenth_member_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    await make_organizer(app, client)
    group = await make_group(client)  # the organizer is the first member
    await make_members(client, group["id"], *(f"Member {n}" for n in range(2, 16)))
    response = await client.post(f"/api/groups/{group['id']}/members", json={"name": "One more"})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "a group holds at most 15 members, facilitators included"
    )


TABLES = ("codev_group", "member", "invite", "authsession", "meeting", "meetingevent")


async def _counts(app: FastAPI) -> dict[str, int]:
    async with database(app) as session:
        return {
            table: (await session.exec(text(f"SELECT count(*) FROM {table}"))).one()[0]  # type: ignore[call-overload]
            for table in TABLES
        }


async def test_deleting_a_group_deletes_all_of_its_rows(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    kept = await make_group(client, "Kept")
    await make_member(client, kept["id"], "Keeper")
    gone = await make_group(client, "Gone")
    claire, _sam = await make_members(client, gone["id"], "Claire", "Sam")
    meeting = await make_meeting(client, gone, client_id=claire["id"])
    await app.state.services.meetings.execute(
        meeting["id"], gone["members"][0]["id"], "c1", AdvanceStage(expected_stage="lobby")
    )
    async with browser(app) as member:
        await sign_in_member(client, member, claire["id"])
        before = await _counts(app)
        assert before == {
            "codev_group": 2,
            "member": 5,
            "invite": 1,
            "authsession": 2,
            "meeting": 1,
            "meetingevent": before["meetingevent"],
        }
        assert before["meetingevent"] >= 1
        assert (await client.delete(f"/api/groups/{gone['id']}")).status_code == 204
        assert await _counts(app) == {
            "codev_group": 1,
            "member": 2,
            "invite": 0,
            "authsession": 1,  # the organizer's; Claire is signed out
            "meeting": 0,
            "meetingevent": 0,
        }
        assert (await member.get("/api/me")).status_code == 401
    assert (await client.get(f"/api/groups/{gone['id']}")).status_code == 404
    assert (await client.get(f"/api/groups/{kept['id']}")).status_code == 200
