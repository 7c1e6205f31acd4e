"""A real SMTP server (aiosmtpd) on a loopback port, and an app that sends its mail there."""

from __future__ import annotations

import asyncio
import email
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from tests.api.factories import browser
from tests.live import free_port

WITHIN = 10.0


@dataclass
class Mailbox:
    """What the SMTP server received; addresses in ``refuse`` get 550 on RCPT, those in
    ``busy`` get 451 as many times as their count says, then are accepted."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    busy: dict[str, int] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        if self.busy.get(address, 0) > 0:
            self.busy[address] -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, _class=EmailMessage, policy=default)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    async def wait(self, done: Callable[[], bool], within: float = WITHIN) -> None:
        async def check() -> bool:
            return done()

        await eventually(check, within)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = WITHIN) -> None:
    """Until ``check()`` holds, or fail after ``within`` seconds. It polls: the SMTP server runs
    in its own thread and the outbox in the app's task, with no event to wait on from here."""
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def calendar_of(message: EmailMessage) -> icalendar.Calendar | None:
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return icalendar.Calendar.from_ical(payload)
    return None


def everything_in(message: EmailMessage) -> str:
    """Headers and every decoded part, to look for what must never be in a mail."""
    chunks = [str(message["Subject"])]
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            chunks.append(payload.decode("utf-8", "replace"))
    return "\n".join(chunks)


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def mail_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "mail_from": "Codev <codev@example.org>",
        "time_zone": "America/Montreal",
        "mail_retry_seconds": 0.05,
        "mail_poll_seconds": 0.05,
        **overrides,
    }
    return Settings(_env_file=None, data_dir=tmp_path, secret_key="test-key", **values)


@pytest.fixture
def smtp_box(mailbox: tuple[Mailbox, int]) -> Mailbox:
    return mailbox[0]


@pytest.fixture
def app(tmp_path: Path, mailbox: tuple[Mailbox, int]) -> FastAPI:
    return create_app(mail_settings(tmp_path, smtp_url=f"smtp://127.0.0.1:{mailbox[1]}"))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app), browser(app) as client:
        yield client
