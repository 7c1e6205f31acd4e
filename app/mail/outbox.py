"""The durable outbox: mails are rows written with the change that caused them, and a background
task of the app's lifespan sends them, so a slow or absent mail server never holds up a request.

A mail that could not be sent is tried again after ``mail_retry_seconds``, then twice as long each
time, up to ``mail_max_attempts``; a permanent refusal of the address (5xx on RCPT) is a bounce:
the mail fails at once and the member shows the refusal until their address changes. Several
processes may share the table: each claims a mail by moving its ``next_attempt_at`` forward with a
compare-and-set before sending it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import CursorResult
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from app.mail import smtp
from app.mail.messages import Mail, build
from app.settings import Settings
from app.store.models import Member, OutboxMail, utcnow

logger = logging.getLogger("codev.mail")

WIRE = policy.SMTP.clone(max_line_length=998)
"""CRLF, and headers folded only past SMTP's own line limit: Python's folding of a long first
word leaves a leading space in the Subject that mail readers show."""
LEASE = timedelta(minutes=5)
"""How long a claimed mail is left to the process sending it before another may try."""
BATCH = 20


@dataclass(frozen=True, slots=True)
class MailStatus:
    enabled: bool
    """False when the server has no (usable) mail setting: people copy links instead."""
    server: str | None
    """Host, port and mode, never the password."""
    error: str | None
    """Why mail cannot be sent: a wrong setting, or the server's answer at the last check."""


class Outbox:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.server: smtp.SmtpServer | None = None
        self.sender = settings.mail_from
        self.error: str | None = None
        self.zone = _zone(settings.time_zone)
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        if settings.smtp_url or settings.mail_from:
            try:
                if not settings.smtp_url:
                    raise smtp.MailSettingError("CODEV_MAIL_FROM is set but CODEV_SMTP_URL is not")
                if not settings.mail_from:
                    raise smtp.MailSettingError("CODEV_SMTP_URL is set but CODEV_MAIL_FROM is not")
                smtp.check_sender(settings.mail_from)
                self.server = smtp.SmtpServer.parse(settings.smtp_url)
            except smtp.MailSettingError as exc:
                self.error = str(exc)

    @property
    def enabled(self) -> bool:
        return self.server is not None

    @property
    def sender_address(self) -> str | None:
        return smtp.check_sender(self.sender) if self.enabled else None

    def status(self) -> MailStatus:
        server = self.server.describe() if self.server else None
        return MailStatus(enabled=self.enabled, server=server, error=self.error)

    def enqueue(self, session: AsyncSession, mail: Mail, member_id: str | None) -> None:
        """Add the mail to the caller's transaction (nothing when mail is off)."""
        if not self.enabled:
            return
        message = build(mail, self.sender, self.zone)
        session.add(
            OutboxMail(
                member_id=member_id,
                to_address=mail.to,
                kind=mail.kind,
                subject=str(message["Subject"])[:300],
                message=message.as_string(policy=WIRE),
            )
        )

    def wake(self) -> None:
        """New mail was committed: send it now rather than at the next poll."""
        self._wake.set()

    # --- the background task ---------------------------------------------------------------

    def start(self, periodic: Callable[[], Awaitable[None]] | None = None) -> None:
        """Start the sender; ``periodic`` (the reminders) runs on every round."""
        self._task = asyncio.create_task(self.run(periodic))

    async def close(self, grace: float = 5.0) -> None:
        """Let the mail being sent finish (cancelling mid-transaction can wedge the database
        driver), then stop; a mail cut short is sent again later, never lost."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        _done, pending = await asyncio.wait({self._task}, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def run(self, periodic: Callable[[], Awaitable[None]] | None = None) -> None:
        """Send due mail until ``close``."""
        if self.error:
            logger.error("mail is off: %s", self.error)
        if self.server is None:
            return
        await self._check()
        while not self._stopping:
            try:
                if periodic is not None:
                    await periodic()
                while not self._stopping and await self.send_due():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end the sender for good
                logger.exception("mail round failed; trying again at the next one")
            self._wake.clear()
            with suppress(TimeoutError):
                async with asyncio.timeout(self.settings.mail_poll_seconds):
                    await self._wake.wait()

    async def _check(self) -> None:
        """One line at start when the server cannot be reached or refuses the sign-in."""
        assert self.server is not None
        try:
            await self.server.check()
        except Exception as exc:
            self.error = f"cannot use {self.server.describe()}: {smtp.describe_error(exc)}"
            logger.error("mail server: %s", self.error)
        else:
            self.error = None
            logger.info("mail is sent through %s", self.server.describe())

    async def send_due(self) -> int:
        """Send the mail that is due now; the number of mails tried."""
        assert self.server is not None
        now = utcnow()
        async with self.sessions() as session:
            due = await session.exec(
                select(OutboxMail)
                .where(col(OutboxMail.status) == "pending", col(OutboxMail.next_attempt_at) <= now)
                .order_by(col(OutboxMail.next_attempt_at))
                .limit(BATCH)
            )
            rows = list(due.all())
        tried = 0
        for row in rows:
            if self._stopping:
                break
            if not await self._claim(row, now):
                continue  # another process has it
            tried += 1
            await self._send(row)
        return tried

    async def _claim(self, row: OutboxMail, now: datetime) -> bool:
        async with self.sessions() as session:
            result = await session.exec(
                update(OutboxMail)
                .where(
                    col(OutboxMail.id) == row.id,
                    col(OutboxMail.status) == "pending",
                    col(OutboxMail.next_attempt_at) == row.next_attempt_at,
                )
                .values(next_attempt_at=now + LEASE)
            )
            await session.commit()
            assert isinstance(result, CursorResult)
            return bool(result.rowcount == 1)

    async def _send(self, row: OutboxMail) -> None:
        assert self.server is not None
        try:
            await self.server.send(row.message, self.sender_address or "", row.to_address)
        except Exception as exc:
            await self._failed(row, exc)
            return
        self.error = None  # it works now, whatever the check at start said
        async with self.sessions() as session:
            await session.exec(
                update(OutboxMail)
                .where(col(OutboxMail.id) == row.id)
                .values(status="sent", sent_at=utcnow(), attempts=row.attempts + 1, message="")
            )
            await session.commit()

    async def _failed(self, row: OutboxMail, exc: Exception) -> None:
        error = smtp.describe_error(exc)
        attempts = row.attempts + 1
        bounced = smtp.permanent(exc)
        done = bounced or attempts >= self.settings.mail_max_attempts
        values: dict[str, object] = {"attempts": attempts, "last_error": error}
        if done:
            values |= {"status": "failed", "message": ""}
        else:
            delay = self.settings.mail_retry_seconds * 2 ** (attempts - 1)
            values["next_attempt_at"] = utcnow() + timedelta(seconds=delay)
        logger.warning("mail %s (%s) not sent, attempt %d: %s", row.id, row.kind, attempts, error)
        async with self.sessions() as session:
            await session.exec(
                update(OutboxMail).where(col(OutboxMail.id) == row.id).values(values)
            )
            if bounced and row.member_id is not None:
                await session.exec(
                    update(Member)
                    .where(col(Member.id) == row.member_id, col(Member.email) == row.to_address)
                    .values(mail_refused=error[:300])
                )
            await session.commit()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.error("CODEV_TIME_ZONE %r is not a known time zone; writing times in UTC", name)
        return ZoneInfo("UTC")
