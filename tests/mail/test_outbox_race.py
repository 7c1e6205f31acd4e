"""Several processes may send from one outbox: each mail goes out once, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.mail.messages import Mail
from app.mail.outbox import Outbox
from app.main import create_app
from app.settings import Settings
from tests.databases import fresh_database
from tests.mail.conftest import Mailbox, mail_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> Iterator[Settings]:
    with fresh_database(request.param, tmp_path) as url:
        yield mail_settings(
            tmp_path,
            database_url=url,
            smtp_url=f"smtp://127.0.0.1:{mailbox[1]}",
            mail_poll_seconds=600,  # no retry round of the app's own sender during the test
        )


async def test_two_senders_racing_on_one_outbox_send_each_mail_once(
    settings: Settings, smtp_box: Mailbox
) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        sessions = app.state.services.sessions
        first, second = Outbox(settings, sessions), Outbox(settings, sessions)
        async with sessions() as session:
            for n in range(8):
                mail = Mail(
                    kind="invite",
                    to=f"m{n}@example.org",
                    name="M",
                    language="en",
                    group="G",
                    link="http://x/invite/t",
                )
                first.enqueue(session, mail, None)
            await session.commit()
        # The app's own sender may join in while it starts: three senders, still once each.
        await asyncio.gather(first.send_due(), second.send_due())
        await smtp_box.wait(lambda: len(smtp_box.messages) >= 8)
        sent = Counter(m["To"] for m in smtp_box.messages)
        assert sent == Counter({f"m{n}@example.org": 1 for n in range(8)})
