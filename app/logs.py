"""The server's log: one handler for the app's and uvicorn's loggers, readable lines or JSON.

Log lines carry ids and codes (``meeting_id``, ``member_id``, ``cid``, ``code``) as fields, never
anything a participant typed; secrets in paths (invite and calendar-feed tokens, the setup token,
display keys) are masked before any line is written, whoever logs it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

from app.settings import Settings

FIELDS = ("meeting_id", "member_id", "cid", "code", "command", "seconds", "display")
"""The structured fields a line may carry (passed with ``extra=``), in the order shown."""

HANDLER = "codev"

SECRET_IN_PATH = re.compile(r"(/invite/|/calendar/)[^/?#\s\"]+|([?&](?:token|display)=)[^&#\s\"]+")


def redact(text: str) -> str:
    """``text`` with invite tokens and token-like query values masked."""
    return SECRET_IN_PATH.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)


class Redact(logging.Filter):
    """Masks secrets in the formatted message: uvicorn's access lines hold the full path."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k in FIELDS if (v := record.__dict__.get(k)) is not None}


class TextFormatter(logging.Formatter):
    """``2026-12-01T21:44:02Z INFO app.api.ws: command refused meeting_id=… code=…``"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        head, sep, tail = line.partition("\n")  # a traceback goes after the fields
        return f"{head} {extra}{sep}{tail}" if extra else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message`` and the fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(settings: Settings) -> None:
    """Route every logger (the app's, uvicorn's) through one handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(Redact())
    handler.set_name(HANDLER)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER]:
        root.removeHandler(old)  # configured again (tests run several commands in one process)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        named = logging.getLogger(name)
        named.handlers.clear()  # uvicorn's own config would print a second, unmasked copy
        named.propagate = True


def connection_closed(
    logger: logging.Logger, meeting_id: str, member_id: str, opened: float, display: bool
) -> None:
    """The one line a socket leaves when it ends."""
    seconds = round(time.monotonic() - opened, 1)
    fields = {"meeting_id": meeting_id, "member_id": member_id, "seconds": seconds}
    logger.info("connection closed", extra={**fields, "display": display or None})


def refused(
    logger: logging.Logger, meeting_id: str, member_id: str | None, cid: str | None, code: str
) -> None:
    """A command or a connection the server refused: who, which command (cid), why (code)."""
    fields = {"meeting_id": meeting_id, "member_id": member_id, "cid": cid, "code": code}
    logger.info("refused", extra=fields)
