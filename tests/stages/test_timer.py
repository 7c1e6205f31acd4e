"""Stage timers are state: a deadline while running, a remainder while paused; they only advise."""

from __future__ import annotations

from datetime import timedelta

from app.stages import MeetingState, Stage
from app.stages import commands as c
from app.stages.timer import Timer, extend, pause, resume, start_timer

from .factories import FACILITATOR, NOW, TIMEKEEPER, act, at, meeting_in_stage, run


def _timer(state: MeetingState) -> Timer:
    assert state.timer is not None
    return state.timer


def _in_presentation() -> MeetingState:
    """Presentation started at NOW with the standard 90 preset: 10 minutes."""
    return meeting_in_stage(Stage.PRESENTATION)


def test_a_started_timer_runs_until_its_deadline() -> None:
    timer = start_timer(step=3, minutes=10, now=NOW)
    assert (timer.step, timer.planned_seconds, timer.started_at) == (3, 600, NOW)
    assert timer.deadline == at(minutes=10)
    assert timer.running
    assert timer.paused_remaining is None
    assert timer.remaining(at(minutes=4)) == 360


def test_pause_keeps_the_remaining_seconds_and_resume_sets_a_new_deadline() -> None:
    state = act(_in_presentation(), FACILITATOR, c.PauseTimer(), at(minutes=4))
    paused = _timer(state)
    assert (paused.deadline, paused.paused_remaining, paused.running) == (None, 360, False)
    assert paused.remaining(at(minutes=50)) == 360  # time stands still while paused

    state = act(state, TIMEKEEPER, c.ResumeTimer(), at(minutes=20))
    resumed = _timer(state)
    assert (resumed.deadline, resumed.paused_remaining) == (at(minutes=26), None)
    assert resumed.started_at == NOW
    assert resumed.planned_seconds == 600


def test_overtime_is_a_negative_remainder_and_nothing_more() -> None:
    state = _in_presentation()
    assert _timer(state).remaining(at(minutes=13)) == -180
    state = act(state, TIMEKEEPER, c.PauseTimer(), at(minutes=13))
    assert _timer(state).paused_remaining == -180
    state = act(state, TIMEKEEPER, c.ResumeTimer(), at(minutes=15))
    assert _timer(state).deadline == at(minutes=12)
    assert state.stage is Stage.PRESENTATION  # timers never move the meeting on


def test_extend_while_running_pushes_the_deadline() -> None:
    state = act(_in_presentation(), TIMEKEEPER, c.ExtendTimer(seconds=300), at(minutes=9))
    timer = _timer(state)
    assert (timer.deadline, timer.planned_seconds, timer.paused_remaining) == (
        at(minutes=15),
        900,
        None,
    )


def test_extend_while_paused_adds_to_the_remainder() -> None:
    state = act(_in_presentation(), FACILITATOR, c.PauseTimer(), at(minutes=12))
    state = act(state, FACILITATOR, c.ExtendTimer(seconds=60), at(minutes=13))
    timer = _timer(state)
    assert (timer.deadline, timer.paused_remaining, timer.planned_seconds) == (None, -60, 660)
    state = act(state, FACILITATOR, c.ExtendTimer(seconds=300), at(minutes=14))
    state = act(state, FACILITATOR, c.ResumeTimer(), at(minutes=20))
    assert _timer(state).deadline == at(minutes=24)


def test_pausing_a_paused_timer_or_resuming_a_running_one_changes_nothing() -> None:
    state = _in_presentation()
    new, events = run(state, FACILITATOR, c.ResumeTimer(), at(minutes=1))
    assert (events, new.model_dump()) == ([], state.model_dump())
    state = act(state, FACILITATOR, c.PauseTimer(), at(minutes=2))
    new, events = run(state, FACILITATOR, c.PauseTimer(), at(minutes=3))
    assert (events, new.model_dump()) == ([], state.model_dump())


def test_a_paused_timer_does_not_survive_a_stage_change() -> None:
    state = act(_in_presentation(), FACILITATOR, c.PauseTimer(), at(minutes=2))
    state = act(state, FACILITATOR, c.AdvanceStage(expected_stage=Stage.PRESENTATION), at(3))
    timer = _timer(state)
    assert timer.running
    assert (timer.step, timer.started_at, timer.planned_seconds) == (state.step, at(3), 15 * 60)


def test_timer_functions_are_pure() -> None:
    timer = start_timer(step=1, minutes=1, now=NOW)
    paused = pause(timer, NOW + timedelta(seconds=20))
    assert (timer.running, paused.paused_remaining) == (True, 40)
    assert resume(paused, NOW + timedelta(seconds=30)).deadline == NOW + timedelta(seconds=70)
    assert extend(paused, 5).paused_remaining == 45
    assert extend(timer, 5).deadline == NOW + timedelta(seconds=65)
    assert timer.deadline == NOW + timedelta(seconds=60)
