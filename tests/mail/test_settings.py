"""Mail settings: off by default (links are copied as before), and a wrong setting is reported at
start and to the organizer without stopping the server."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from app.mail.smtp import MailSettingError, SmtpServer
from app.main import create_app
from app.settings import Settings
from app.store.models import OutboxMail
from tests.api.factories import (
    browser,
    database,
    facilitator_of,
    make_group,
    make_member,
    make_organizer,
)
from tests.live import free_port
from tests.mail.conftest import eventually, mail_settings


async def test_without_mail_settings_nothing_is_queued_and_links_are_copied(
    tmp_path: Path,
) -> None:
    app = create_app(Settings(_env_file=None, data_dir=tmp_path, secret_key="k"))
    async with app.router.lifespan_context(app), browser(app) as client:
        await make_organizer(app, client)
        group = await make_group(client)
        ana = await make_member(client, group["id"], "Ana", email="ana@example.org")
        await make_member(client, group["id"], "Ben", email="ben@example.org")
        made = await client.post(
            f"/api/groups/{group['id']}/meetings",
            json={
                "title": "January",
                "scheduled_for": datetime(2030, 1, 15, 18, tzinfo=UTC).isoformat(),
                "facilitator_id": facilitator_of(group),
                "consultations": [{"client_id": ana["id"]}],
            },
        )
        assert made.status_code == 201, made.text
        link = await client.post(f"/api/members/{ana['id']}/invite")
        assert link.status_code == 201
        assert link.json()["sent"] is False
        mailed = await client.post(f"/api/members/{ana['id']}/invite", json={"send": True})
        assert mailed.status_code == 409
        assert "sends no mail" in mailed.json()["error"]["message"]
        report = (await client.get("/api/mail")).json()
        assert report == {"enabled": False, "server": None, "error": None, "mails": []}
        async with database(app) as session:
            assert (await session.exec(select(OutboxMail))).all() == []


async def test_a_wrong_smtp_url_is_reported_at_start_and_to_the_organizer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(mail_settings(tmp_path, smtp_url="http://mail.example.org"))
    with caplog.at_level(logging.ERROR, logger="codev.mail"):
        async with app.router.lifespan_context(app), browser(app) as client:
            await make_organizer(app, client)
            report = (await client.get("/api/mail")).json()
            assert report["enabled"] is False
            assert report["error"].startswith("CODEV_SMTP_URL must start with smtp://")
            group = await make_group(client)  # everything else works as without mail
            ana = await make_member(client, group["id"], "Ana", email="ana@example.org")
            assert (await client.post(f"/api/members/{ana['id']}/invite")).status_code == 201
    lines = [r.getMessage() for r in caplog.records if r.name == "codev.mail"]
    assert lines == [f"mail is off: {report['error']}"]


async def test_an_unreachable_mail_server_is_reported_and_its_mail_waits(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()  # nothing listens there
    app = create_app(mail_settings(tmp_path, smtp_url=f"smtp://127.0.0.1:{port}"))
    with caplog.at_level(logging.WARNING, logger="codev.mail"):
        async with app.router.lifespan_context(app), browser(app) as client:
            await make_organizer(app, client)

            async def reported() -> bool:
                return (await client.get("/api/mail")).json()["error"] is not None

            await eventually(reported)
            report = (await client.get("/api/mail")).json()
            assert report["enabled"] is True
            assert report["error"].startswith(f"cannot use 127.0.0.1:{port} (plain)")
            group = await make_group(client)
            ana = await make_member(client, group["id"], "Ana", email="ana@example.org")
            sent = await client.post(f"/api/members/{ana['id']}/invite", json={"send": True})
            assert sent.status_code == 201  # queued: the request does not wait for the server

            async def tried() -> bool:
                mails = (await client.get("/api/mail")).json()["mails"]
                return bool(mails) and mails[0]["attempts"] >= 1

            await eventually(tried)
            [mail] = (await client.get("/api/mail")).json()["mails"]
            assert mail["status"] == "pending"
            assert mail["error"]
            assert mail["next_attempt_at"] is not None
    starts = [r for r in caplog.records if r.getMessage().startswith("mail server:")]
    assert len(starts) == 1


def test_smtp_urls_give_the_mode_the_port_and_the_credentials() -> None:
    secure = SmtpServer.parse("smtp+starttls://me%40example.org:p%2Fss@mail.example.org")
    assert (secure.host, secure.port, secure.starttls, secure.tls) == (
        "mail.example.org",
        587,
        True,
        False,
    )
    assert (secure.username, secure.password) == ("me@example.org", "p/ss")
    assert SmtpServer.parse("smtps://mail.example.org").port == 465
    assert SmtpServer.parse("smtp://127.0.0.1:2525").describe() == "127.0.0.1:2525 (plain)"
    for wrong in ("http://mail.example.org", "smtp://", "smtp://host:port"):
        with pytest.raises(MailSettingError):
            SmtpServer.parse(wrong)
