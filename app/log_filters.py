"""Log filters for what clients get wrong: one line now and then, not a traceback each time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

INVALID_UTF8 = "Invalid UTF-8 sequence received from client."
"""What uvicorn logs, at ERROR with a traceback, for each text frame that is not UTF-8."""


class InvalidUtf8Frames(logging.Filter):
    """A client's broken frame (its socket is closed with 1007) is not a server error: at most
    one WARNING line per ``interval`` seconds, saying how many were left out, and no traceback
    (a flood of them must not fill the log)."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self._interval = interval
        self._clock = clock
        self._last: float | None = None
        self._left_out = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != INVALID_UTF8:
            return True
        now = self._clock()
        if self._last is not None and now - self._last < self._interval:
            self._left_out += 1
            return False
        message = "a client sent a text frame that is not UTF-8; its socket was closed (1007)"
        if self._left_out:
            message += f"; {self._left_out} more since the last report"
        self._last, self._left_out = now, 0
        record.msg, record.args = message, ()
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


def install() -> None:
    """On uvicorn's logger, once its configuration is loaded (``uvicorn.Config`` loads it)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, InvalidUtf8Frames) for f in logger.filters):
        logger.addFilter(InvalidUtf8Frames())
