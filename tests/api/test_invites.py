"""Personal invite links: they sign a member in, are stored hashed, and can be revoked."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlmodel import select, update

from app.settings import Settings
from app.store.models import Invite, utcnow
from tests.api.factories import (
    ORIGIN,
    browser,
    database,
    invite_path,
    make_group,
    make_member,
    make_organizer,
)


async def _claire(app: FastAPI, client: httpx.AsyncClient) -> dict[str, str]:
    await make_organizer(app, client)
    group = await make_group(client)
    member: dict[str, str] = await make_member(client, group["id"], "Claire")
    return member


async def test_an_invite_link_signs_the_member_in_with_a_safe_cookie(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    claire = await _claire(app, client)
    created = await client.post(f"/api/members/{claire['id']}/invite")
    assert created.status_code == 201
    url = created.json()["url"]
    assert url.startswith(f"{ORIGIN}/invite/")
    expires = created.json()["expires_at"]
    assert expires.startswith(str((utcnow() + timedelta(days=60)).date()))
    async with browser(app) as member:
        response = await member.get(url.removeprefix(ORIGIN))
        assert response.status_code == 303
        assert response.headers["location"] == "/"
        assert response.headers["referrer-policy"] == "no-referrer"
        [cookie] = response.headers.get_list("set-cookie")
        attributes = {part.strip().lower() for part in cookie.split(";")}
        assert {"httponly", "samesite=lax", "path=/"} <= attributes
        assert (await member.get("/api/me")).json()["member"]["id"] == claire["id"]
        assert (await member.get(url.removeprefix(ORIGIN))).status_code == 303  # again: still valid
    async with database(app) as session:
        [invite] = (await session.exec(select(Invite))).all()
        assert invite.last_used_at is not None


async def test_the_invite_token_is_stored_only_as_a_keyed_hash(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    claire = await _claire(app, client)
    token = (await invite_path(client, claire["id"])).rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits
    async with database(app) as session:
        [invite] = (await session.exec(select(Invite))).all()
    for value in invite.model_dump().values():
        assert token not in str(value)


async def test_a_new_invite_revokes_the_previous_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    claire = await _claire(app, client)
    first = await invite_path(client, claire["id"])
    second = await invite_path(client, claire["id"])
    async with browser(app) as member:
        old = await member.get(first)
        assert old.status_code == 410
        assert "no longer valid" in old.text
        assert "set-cookie" not in old.headers
        assert (await member.get(second)).status_code == 303


async def test_a_revoked_invite_is_refused_and_signs_the_member_out(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    claire = await _claire(app, client)
    path = await invite_path(client, claire["id"])
    async with browser(app) as member:
        assert (await member.get(path)).status_code == 303
        assert (await client.delete(f"/api/members/{claire['id']}/invite")).status_code == 204
        assert (await member.get("/api/me")).status_code == 401
        assert (await member.get(path)).status_code == 410
        accept = await member.post("/api/invites/accept", json={"token": path.rsplit("/", 1)[1]})
        assert accept.status_code == 410
        assert accept.json()["error"]["code"] == "gone"


async def test_an_expired_invite_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    claire = await _claire(app, client)
    path = await invite_path(client, claire["id"])
    async with database(app) as session:
        await session.exec(update(Invite).values(expires_at=utcnow() - timedelta(minutes=1)))
        await session.commit()
    async with browser(app) as member:
        response = await member.get(path)
        assert response.status_code == 410
        assert (await member.get("/api/me")).status_code == 401


async def test_a_link_that_does_not_work_says_so_in_the_browsers_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    claire = await _claire(app, client)
    path = await invite_path(client, claire["id"])
    await client.post(f"/api/members/{claire['id']}/invite")  # a new link replaces this one
    async with browser(app) as member:
        french = {"Accept-Language": "fr-CA,fr;q=0.9"}
        replaced = await member.get(path, headers=french)
        assert replaced.status_code == 410
        assert "n'est plus valide" in replaced.text
        assert 'lang="fr"' in replaced.text
        unknown = await member.get("/invite/made-up-token", headers=french)
        assert "Ce lien d'invitation n'est pas valide." in unknown.text
        english = await member.get(path, headers={"Accept-Language": "en-GB"})
        assert "ask your organizer for a new one" in english.text


async def test_an_unknown_invite_is_not_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    async with browser(app) as member:
        response = await member.get("/invite/made-up-token")
        assert response.status_code == 404
        assert "not valid" in response.text
        assert response.headers["content-type"].startswith("text/html")
        accept = await member.post("/api/invites/accept", json={"token": "made-up-token"})
        assert accept.status_code == 404
        assert accept.json()["error"]["code"] == "not_found"


async def test_an_api_client_accepts_an_invite_with_a_post(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    claire = await _claire(app, client)
    token = (await invite_path(client, claire["id"])).rsplit("/", 1)[1]
    async with browser(app) as member:
        accepted = await member.post("/api/invites/accept", json={"token": token})
        assert accepted.status_code == 200
        assert accepted.json()["id"] == claire["id"]
        assert (await member.get("/api/me")).json()["member"]["name"] == "Claire"


async def test_a_member_cannot_invite_anyone(app: FastAPI, client: httpx.AsyncClient) -> None:
    claire = await _claire(app, client)
    async with browser(app) as member:
        await member.get(await invite_path(client, claire["id"]))
        response = await member.post(f"/api/members/{claire['id']}/invite")
        assert response.status_code == 403


async def test_deleting_a_member_signs_them_out(app: FastAPI, client: httpx.AsyncClient) -> None:
    claire = await _claire(app, client)
    path = await invite_path(client, claire["id"])
    async with browser(app) as member:
        await member.get(path)
        assert (await client.delete(f"/api/members/{claire['id']}")).status_code == 204
        assert (await member.get("/api/me")).status_code == 401
        assert (await member.get(path)).status_code == 404
