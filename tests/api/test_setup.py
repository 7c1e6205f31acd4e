"""First run: a one-time setup link printed on the console creates the first organizer."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select, update

from app.store.models import Organizer, SetupToken, utcnow
from tests.api.factories import ORIGIN, PASSWORD, browser, database

LINK = re.compile(re.escape(ORIGIN) + r"/setup\?token=(\S+)")


def _body(token: str, **fields: str) -> dict[str, str]:
    return {
        "token": token,
        "email": "Olivia@Example.org",
        "name": "Olivia Organizer",
        "password": PASSWORD,
        **fields,
    }


def _token(capsys: pytest.CaptureFixture[str]) -> str:
    """The token of the setup link printed on the console since the last read."""
    match = LINK.search(capsys.readouterr().out)
    assert match, "no setup link printed"
    return match.group(1)


async def test_first_start_prints_a_setup_link_and_needs_setup(
    app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    async with app.router.lifespan_context(app), browser(app) as client:
        out = capsys.readouterr().out
        assert "Open this link once to create the first organizer account" in out
        assert LINK.search(out)
        assert (await client.get("/api/setup")).json() == {"needs_setup": True}
        assert "password" not in out.lower()


async def test_the_setup_link_creates_the_first_organizer_once(
    app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    async with app.router.lifespan_context(app), browser(app) as client:
        token = _token(capsys)
        response = await client.post("/api/setup", json=_body(token))
        assert response.status_code == 201, response.text
        assert response.json()["email"] == "olivia@example.org"
        assert "password_hash" not in response.json()
        assert (await client.get("/api/me")).json()["organizer"]["name"] == "Olivia Organizer"
        assert (await client.get("/api/setup")).json() == {"needs_setup": False}

        again = await client.post("/api/setup", json=_body(token, email="mallory@example.org"))
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "conflict"
        async with database(app) as session:
            assert len((await session.exec(select(Organizer))).all()) == 1
            assert (await session.exec(select(SetupToken))).all() == []


async def test_a_restart_after_setup_prints_no_link(
    app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    async with app.router.lifespan_context(app), browser(app) as client:
        token = _token(capsys)
        assert (await client.post("/api/setup", json=_body(token))).status_code == 201
    async with app.router.lifespan_context(app):
        assert "/setup?token=" not in capsys.readouterr().out


async def test_a_restart_before_setup_replaces_the_old_link(
    app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    async with app.router.lifespan_context(app):
        first = _token(capsys)
    async with app.router.lifespan_context(app), browser(app) as client:
        second = _token(capsys)
        assert first != second
        assert (await client.post("/api/setup", json=_body(first))).status_code == 403
        assert (await client.post("/api/setup", json=_body(second))).status_code == 201


async def test_a_wrong_setup_token_is_refused(
    app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    async with app.router.lifespan_context(app), browser(app) as client:
        response = await client.post("/api/setup", json=_body("not-the-token"))
        assert response.status_code == 403
        assert response.json()["error"] == {
            "code": "forbidden",
            "message": "this setup link is not valid",
        }
        assert (await client.get("/api/setup")).json() == {"needs_setup": True}


async def test_an_expired_setup_token_is_gone(
    app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    async with app.router.lifespan_context(app), browser(app) as client:
        token = _token(capsys)
        async with database(app) as session:
            await session.exec(update(SetupToken).values(expires_at=utcnow() - timedelta(1)))
            await session.commit()
        response = await client.post("/api/setup", json=_body(token))
        assert response.status_code == 410
        assert response.json()["error"]["code"] == "gone"


@pytest.mark.parametrize(
    ("field", "value"),
    [("password", "too short"), ("email", "not an email"), ("name", "")],
)
async def test_setup_refuses_a_weak_password_or_bad_fields(
    app: FastAPI, capsys: pytest.CaptureFixture[str], field: str, value: str
) -> None:
    async with app.router.lifespan_context(app), browser(app) as client:
        token = _token(capsys)
        response = await client.post("/api/setup", json=_body(token, **{field: value}))
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid"
        assert field in response.json()["error"]["message"]
        assert (await client.get("/api/setup")).json() == {"needs_setup": True}


async def test_there_is_no_default_account_before_setup(client: httpx.AsyncClient) -> None:
    for email, password in [("admin", "admin"), ("admin@example.org", "changeme")]:
        response = await client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code in (401, 422)
    assert (await client.get("/api/me")).status_code == 401
