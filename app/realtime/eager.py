"""Run a coroutine in the caller until it first has to wait (what Python 3.12's eager tasks do).

A send to a socket whose transport is writable never waits: a task per send, created, scheduled
and torn down by the event loop, would cost more than the send itself. ``run_eagerly`` makes a
task only for a coroutine that really suspends, and that task carries on from where it stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any


def run_eagerly(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """None if ``coro`` finished in the caller; else a task that finishes it."""
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_finish(coro, waiting_on))


async def _finish(coro: Coroutine[Any, Any, None], waiting_on: Any) -> None:
    await _Suspended(coro, waiting_on)


class _Suspended:
    """Awaiting this hands the future the coroutine yielded to the task, then drives the
    coroutine on, passing in whatever the task sends or throws (a cancellation included)."""

    __slots__ = ("coro", "waiting_on")

    def __init__(self, coro: Coroutine[Any, Any, None], waiting_on: Any) -> None:
        self.coro, self.waiting_on = coro, waiting_on

    def __await__(self) -> Generator[Any, Any, None]:
        coro, waiting_on = self.coro, self.waiting_on
        while True:
            try:
                value = yield waiting_on
            except BaseException as exc:  # handed to the coroutine (a cancellation, say)
                try:
                    waiting_on = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    waiting_on = coro.send(value)
                except StopIteration:
                    return
