"""``run_eagerly``: a send that need not wait is made in the caller, without a task."""

from __future__ import annotations

import asyncio

import pytest

from app.realtime.eager import run_eagerly


async def test_a_coroutine_that_never_waits_finishes_in_the_caller_without_a_task() -> None:
    sent: list[str] = []

    async def send() -> None:
        sent.append("event")

    assert run_eagerly(send()) is None
    assert sent == ["event"]


async def test_a_coroutine_that_waits_is_finished_by_a_task_with_what_it_waited_for() -> None:
    loop = asyncio.get_running_loop()
    writable: asyncio.Future[str] = loop.create_future()
    steps: list[str] = []

    async def send() -> None:
        steps.append("started")
        steps.append(await writable)
        await asyncio.sleep(0)  # a bare yield to the loop, too
        steps.append("sent")

    task = run_eagerly(send())
    assert task is not None
    assert steps == ["started"]  # the part before the wait ran in the caller
    writable.set_result("writable")
    await task
    assert steps == ["started", "writable", "sent"]


async def test_cancelling_the_task_cancels_the_coroutine_where_it_waits() -> None:
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    cleaned_up: list[bool] = []

    async def send() -> None:
        try:
            await never
        finally:
            cleaned_up.append(True)

    task = run_eagerly(send())
    assert task is not None
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned_up == [True]


async def test_a_failure_after_the_wait_comes_out_of_the_task() -> None:
    async def send() -> None:
        await asyncio.sleep(0)
        raise ConnectionResetError("peer went away")

    task = run_eagerly(send())
    assert task is not None
    with pytest.raises(ConnectionResetError, match="peer went away"):
        await task


async def test_a_failure_before_any_wait_comes_out_of_the_call() -> None:
    async def send() -> None:
        raise ConnectionResetError("peer went away")

    with pytest.raises(ConnectionResetError):
        run_eagerly(send())
