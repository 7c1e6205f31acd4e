"""Signing in and out: organizer passwords, session cookies, the Origin check."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlmodel import select, update

from app.main import create_app
from app.security import hash_token
from app.settings import Settings
from app.store.models import AuthSession, utcnow
from tests.api.factories import (
    ORIGIN,
    PASSWORD,
    browser,
    database,
    make_group,
    make_member,
    make_organizer,
    sign_in_member,
)


def _session_cookie(response: httpx.Response) -> str:
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith("codev_session=")]
    assert len(cookies) == 1, cookies
    return cookies[0]


async def test_organizer_signs_in_with_email_and_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    organizer = await make_organizer(app, client)
    async with browser(app) as other:
        response = await other.post(
            "/api/auth/login", json={"email": " OLIVIA@example.org ", "password": PASSWORD}
        )
        assert response.status_code == 200
        assert response.json() == organizer
        cookie = _session_cookie(response).lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert "path=/" in cookie
        assert f"max-age={30 * 86400}" in cookie
        assert "secure" not in cookie  # plain http on loopback; https turns it on
        me = await other.get("/api/me")
        assert me.json() == {"organizer": organizer, "member": None}


async def test_session_cookie_is_secure_when_the_public_url_is_https(tmp_path: Path) -> None:
    public = "https://codev.example.org"
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="k", public_url=public)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=public) as client,
    ):
        await make_organizer(app, client)
        response = await client.post(
            "/api/auth/login", json={"email": "olivia@example.org", "password": PASSWORD}
        )
    assert "; secure" in _session_cookie(response).lower()


async def test_wrong_password_and_unknown_email_get_the_same_refusal(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    async with browser(app) as other:
        wrong = await other.post(
            "/api/auth/login", json={"email": "olivia@example.org", "password": "wrong password"}
        )
        unknown = await other.post(
            "/api/auth/login", json={"email": "nobody@example.org", "password": PASSWORD}
        )
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()
        assert wrong.json()["error"] == {
            "code": "not_authenticated",
            "message": "wrong email or password",
        }
        assert "set-cookie" not in wrong.headers
        assert (await other.get("/api/me")).status_code == 401


async def test_nobody_signed_in_gets_401_from_me(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


async def test_logout_ends_the_session_on_the_server_too(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    token = client.cookies["codev_session"]
    response = await client.post("/api/auth/logout")
    assert response.status_code == 204
    assert "max-age=0" in _session_cookie(response).lower()
    assert (await client.get("/api/me")).status_code == 401
    async with browser(app) as thief:  # a copy of the old cookie no longer works
        thief.cookies.set("codev_session", token)
        assert (await thief.get("/api/me")).status_code == 401
    assert (await client.post("/api/auth/logout")).status_code == 204


async def test_sessions_are_stored_hashed_and_expire(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_organizer(app, client)
    token = client.cookies["codev_session"]
    async with database(app) as session:
        rows = (await session.exec(select(AuthSession))).all()
        assert [row.token_hash for row in rows] == [hash_token(settings.key, token)]
        await session.exec(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    assert (await client.get("/api/me")).status_code == 401


async def test_signing_in_again_replaces_the_browsers_previous_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    await client.post("/api/auth/login", json={"email": "olivia@example.org", "password": PASSWORD})
    async with database(app) as session:
        assert len((await session.exec(select(AuthSession))).all()) == 1


async def test_a_member_signed_in_by_invite_sees_their_group_in_me(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    group = await make_group(client, "Nurses")
    claire = await make_member(client, group["id"], "Claire", language="fr", email="c@example.org")
    async with browser(app) as member:
        await sign_in_member(client, member, claire["id"])
        me = (await member.get("/api/me")).json()
    assert me == {
        "organizer": None,
        "member": {
            "id": claire["id"],
            "name": "Claire",
            "group_id": group["id"],
            "group_name": "Nurses",
            "language": "fr",
            "is_facilitator": False,
        },
    }


async def test_an_organizer_creates_another_organizer_account(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    body = {"email": "Bruno@example.org", "name": "Bruno", "password": "another long one"}
    created = await client.post("/api/organizers", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "bruno@example.org"
    again = await client.post("/api/organizers", json=body)
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "an organizer with this email already exists"
    async with browser(app) as bruno:
        login = {"email": "bruno@example.org", "password": "another long one"}
        assert (await bruno.post("/api/auth/login", json=login)).status_code == 200
        assert (await bruno.get("/api/groups")).json() == []


async def test_only_a_signed_in_organizer_creates_organizers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    body = {"email": "mallory@example.org", "name": "Mallory", "password": "a long password"}
    assert (await client.post("/api/organizers", json=body)).status_code == 401
    await make_organizer(app, client)
    group = await make_group(client)
    claire = await make_member(client, group["id"], "Claire")
    async with browser(app) as member:
        await sign_in_member(client, member, claire["id"])
        refused = await member.post("/api/organizers", json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"


async def test_a_cross_origin_post_is_refused_with_bad_origin(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    response = await client.post(
        "/api/groups", json={"name": "Evil"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_origin"
    assert (await client.get("/api/groups")).json() == []
    login = await client.post(
        "/api/auth/login",
        json={"email": "olivia@example.org", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert login.status_code == 403


async def test_same_machine_origins_and_non_browser_clients_may_write(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_organizer(app, client)
    other_name = ORIGIN.replace("127.0.0.1", "localhost")
    ok = await client.post("/api/groups", json={"name": "A"}, headers={"Origin": other_name})
    assert ok.status_code == 201
    del client.headers["Origin"]
    assert (await client.post("/api/groups", json={"name": "B"})).status_code == 201
