"""A flood of non-UTF-8 frames makes one WARNING line per interval, counting what it left out."""

from __future__ import annotations

import logging
import sys

from app.log_filters import INVALID_UTF8, InvalidUtf8Frames


def _record() -> logging.LogRecord:
    try:
        b"\xff".decode()
    except UnicodeDecodeError:
        exc_info = sys.exc_info()
    return logging.LogRecord("uvicorn.error", logging.ERROR, "x", 1, INVALID_UTF8, (), exc_info)


def test_one_line_per_interval_without_a_traceback_and_with_the_count_left_out() -> None:
    now = [0.0]
    frames = InvalidUtf8Frames(interval=60, clock=lambda: now[0])
    first = _record()
    assert frames.filter(first)
    assert (first.levelno, first.exc_info) == (logging.WARNING, None)
    assert [frames.filter(_record()) for _ in range(5)] == [False] * 5
    now[0] = 61.0
    later = _record()
    assert frames.filter(later)
    assert later.getMessage().endswith("; 5 more since the last report")
    other = logging.LogRecord("uvicorn.error", logging.ERROR, "x", 1, "something else", (), None)
    assert frames.filter(other)
    assert other.levelno == logging.ERROR  # anything else passes untouched
