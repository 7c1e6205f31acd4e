"""The stage timer is state, not ticks: clients draw the countdown from ``deadline``.

Timers advise, they never enforce: overtime is a negative remainder, nothing more.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict


class Timer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    step: int
    planned_seconds: int
    started_at: datetime
    deadline: datetime | None
    """When the stage's time runs out; None while paused."""
    paused_remaining: float | None = None
    """Seconds left when paused (negative in overtime); None while running."""

    @property
    def running(self) -> bool:
        return self.deadline is not None

    def remaining(self, now: datetime) -> float:
        if self.deadline is None:
            assert self.paused_remaining is not None
            return self.paused_remaining
        return (self.deadline - now).total_seconds()


def start_timer(step: int, minutes: int, now: datetime) -> Timer:
    seconds = minutes * 60
    return Timer(
        step=step,
        planned_seconds=seconds,
        started_at=now,
        deadline=now + timedelta(seconds=seconds),
    )


def pause(timer: Timer, now: datetime) -> Timer:
    return timer.model_copy(update={"deadline": None, "paused_remaining": timer.remaining(now)})


def resume(timer: Timer, now: datetime) -> Timer:
    deadline = now + timedelta(seconds=timer.remaining(now))
    return timer.model_copy(update={"deadline": deadline, "paused_remaining": None})


def extend(timer: Timer, seconds: int) -> Timer:
    planned = timer.planned_seconds + seconds
    if timer.deadline is None:
        assert timer.paused_remaining is not None
        return timer.model_copy(
            update={
                "planned_seconds": planned,
                "paused_remaining": timer.paused_remaining + seconds,
            }
        )
    deadline = timer.deadline + timedelta(seconds=seconds)
    return timer.model_copy(update={"planned_seconds": planned, "deadline": deadline})
