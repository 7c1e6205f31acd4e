"""The SMTP server from ``CODEV_SMTP_URL``, and sending one message to it with ``aiosmtplib``.

``smtp://host:25`` (plain), ``smtp+starttls://user:pass@host:587`` and ``smtps://…:465`` (TLS).
A user name or password with reserved characters is percent-encoded in the URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

import aiosmtplib

SEND_TIMEOUT = 30.0
"""Seconds one mail may take; past it the mail is tried again later."""
CHECK_TIMEOUT = 10.0
_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailSettingError(ValueError):
    """Raised when ``CODEV_SMTP_URL`` or ``CODEV_MAIL_FROM`` cannot be used; says which and why."""


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    tls: bool
    """TLS from the first byte (smtps)."""
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise MailSettingError(f"CODEV_SMTP_URL is not a valid URL: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in _PORTS:
            known = ", ".join(f"{s}://" for s in _PORTS)
            raise MailSettingError(f"CODEV_SMTP_URL must start with {known}")
        if not parts.hostname:
            raise MailSettingError("CODEV_SMTP_URL names no host")
        return cls(
            host=parts.hostname,
            port=port or _PORTS[scheme],
            tls=scheme == "smtps",
            starttls=scheme == "smtp+starttls",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def describe(self) -> str:
        """The server without its password, for logs and the organizer's view."""
        mode = "tls" if self.tls else "starttls" if self.starttls else "plain"
        return f"{self.host}:{self.port} ({mode})"

    async def send(self, message: str, sender: str, recipient: str) -> None:
        """Send the message as stored, or raise an ``aiosmtplib`` error (``permanent()`` tells
        which are for good)."""
        await aiosmtplib.send(
            message,
            sender=sender,
            recipients=[recipient],
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.tls,
            start_tls=self.starttls,
            timeout=SEND_TIMEOUT,
        )

    async def check(self) -> None:
        """Connect and sign in, as sending would: raises what a wrong setting raises."""
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.tls,
            start_tls=self.starttls,
            timeout=CHECK_TIMEOUT,
        )
        async with client:
            if self.username and self.password:
                await client.login(self.username, self.password)


def check_sender(mail_from: str) -> str:
    """The address of ``CODEV_MAIL_FROM`` ("Name <addr>" or "addr"), or MailSettingError."""
    _name, address = parseaddr(mail_from)
    if "@" not in address:
        raise MailSettingError("CODEV_MAIL_FROM must be an address such as codev@example.org")
    return address


def permanent(exc: Exception) -> bool:
    """The server refused the address for good (5xx on RCPT): a bounce, not worth a retry."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return any(500 <= r.code < 600 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return 500 <= exc.code < 600
    return False


def describe_error(exc: Exception) -> str:
    """One line for the organizer: the server's own words when it gave some."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"[:500]
    return (str(exc) or type(exc).__name__)[:500]
