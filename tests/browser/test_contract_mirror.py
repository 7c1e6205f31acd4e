"""The browser's copies of the server's contract stay true to it.

``frontend/js/permissions.js`` mirrors ``app/stages/permissions.py`` and ``frontend/js/reducer.js``
mirrors ``machine.evolve``: both are run in Chromium and compared with the Python originals.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from app.stages import audience_of
from app.stages import commands as c
from app.stages.events import Event, redacted
from app.stages.machine import apply, fold, replan
from app.stages.permissions import PERMISSIONS
from app.stages.plan import MeetingPlan
from app.stages.state import MeetingState, new_meeting
from app.stages.vocabulary import Stage

pytestmark = pytest.mark.browser


def _module_page(browser: Browser, static_site: str) -> Page:
    page = browser.new_page()
    page.goto(f"{static_site}/vendor/README.md")  # any same-origin page lets us import modules
    return page


def test_permission_table_in_the_browser_matches_the_server(
    browser: Browser, static_site: str
) -> None:
    page = _module_page(browser, static_site)
    table = page.evaluate(
        """async () => {
            const { PERMISSIONS } = await import('/js/permissions.js');
            const sorted = (row) => Object.fromEntries(
              Object.entries(row).map(([stage, roles]) => [stage, [...roles].sort()]));
            return Object.fromEntries(
              Object.entries(PERMISSIONS).map(([command, row]) => [command, sorted(row)]));
        }"""
    )
    expected = {
        command: {stage.value: sorted(role.value for role in roles) for stage, roles in row.items()}
        for command, row in PERMISSIONS.items()
    }
    assert table == expected
    page.close()


def _plan() -> MeetingPlan:
    people = {"f": "Fanny", "a": "Alice", "b": "Bruno", "s": "Sofia", "o": "Omar", "k": "Karim"}
    return MeetingPlan.model_validate(
        {
            "facilitator": "f",
            "participants": {key: {"name": name} for key, name in people.items()},
            "openers": ["check_in", "client_choice"],
            "consultations": [
                {"scribe": "s", "observers": ["o"], "preset": "45"},
                {"client": "b", "preset": "60", "strict_silent_client": True},
            ],
        }
    )


def _scenario() -> tuple[MeetingState, MeetingState, list[Event]]:
    """Every kind of event, in two consultations, with a private note and a return to stage 3."""
    start = new_meeting("m", _plan())
    state, events = start, []
    clock = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)

    def do(command: c.Command, actor: str) -> None:
        nonlocal state, clock
        clock += timedelta(seconds=7)
        state, new = apply(state, command, actor, clock)
        events.extend(new)

    def advance() -> None:
        do(c.AdvanceStage(expected_stage=state.stage), "f")

    advance()  # check-in
    do(c.RaiseHand(), "a")
    do(c.CallOn(member_id="a"), "f")
    do(c.RaiseHand(), "k")
    do(c.LowerHand(), "k")
    do(c.SetReady(ready=True), "k")
    advance()  # client choice
    do(c.ProposeTopic(headline="Team <b>conflict</b>", topic_type="project"), "a")
    do(c.ChooseClient(consultation=0, member_id="a"), "f")
    advance()  # presentation
    do(c.SetCase(headline="My team", topic_type="problem", context="ctx", question="How?"), "a")
    do(c.PauseTimer(), "f")
    do(c.ExtendTimer(seconds=60), "f")
    do(c.ResumeTimer(), "f")
    do(c.AddPrivateNote(text="only mine"), "k")
    advance()  # clarification
    do(c.AskQuestion(text="Since when?"), "k")
    do(c.AnswerQuestion(question_id=state.consultations[0].questions[0].id, text="2 years"), "a")
    do(c.MarkAnsweredAloud(question_id=state.consultations[0].questions[0].id), "a")
    advance()  # contract
    do(c.SetContract(text="Help me to", help_wanted=("ideas", "resources")), "a")
    do(c.RephraseContract(text="You want"), "s")
    advance()  # consultation
    do(c.AddContribution(kind="hypothesis", text="<img src=x onerror=alert(1)>"), "k")
    do(c.AddContribution(kind="resource", text="A book"), "s")
    first = state.consultations[0].contributions[0].id
    do(c.MarkContribution(contribution_id=first, mark="keep"), "a")
    do(c.SignalClient(signal="please_clarify", contribution_id=first), "a")
    do(c.SignalClient(signal="off_contract"), "a")
    do(c.WithdrawSignal(signal_id=state.seq), "a")
    do(c.AddScribeNote(text="note for Alice"), "s")
    do(c.AddContribution(kind="suggestion", text="Just quit"), "k")
    do(c.SetItemAside(item_id=state.seq), "f")
    do(c.AddContribution(kind="reaction", text="oops"), "k")
    do(c.EditItem(item_id=state.seq, text="oops, better"), "k")
    do(c.WithdrawItem(item_id=state.seq - 1), "k")
    do(c.ReturnToStage(expected_stage=state.stage, stage="contract"), "f")
    do(c.SetContract(text="Help me better to"), "a")
    advance()  # consultation again
    advance()  # synthesis
    do(c.MarkContribution(contribution_id=first, mark=None), "a")
    do(c.SetSynthesis(text="I keep"), "a")
    do(c.SaveActionItem(action="Call", due="2030-04-01"), "a")
    do(c.SaveActionItem(action="Write", indicator="sent"), "a")
    item = state.consultations[0].action_items[0].id
    do(c.SaveActionItem(item_id=item, action="Call them", follow_up="2030-05-01"), "a")
    do(c.RemoveActionItem(item_id=state.consultations[0].action_items[1].id), "a")
    advance()  # conclusion
    do(c.PostLearning(text="learned"), "k")
    do(c.SubmitEvaluation(appreciation="good", ratings={"usefulness": 5, "climate": 4}), "o")
    do(c.RaiseHand(), "o")
    do(c.ClearQueue(), "f")
    do(c.ConfirmAttendance(member_id="k", status="excused"), "f")
    do(c.ShowCharter(version=2, text="We keep what is said here"), "f")
    do(c.HideCharter(), "f")
    do(c.SetDisplayTimer(shown=False), "f")
    do(c.ShowCharter(version=3, text="And we come"), "f")
    advance()  # consultation 2: presentation
    do(c.ShareRecord(consultation=0, shared=True), "a")
    do(c.SetCase(headline="Second", topic_type="preoccupation"), "b")
    do(c.EndMeeting(expected_stage=state.stage), "f")
    do(c.ConfirmAttendance(member_id="s", status="absent"), "f")
    return start, state, events


def test_reducer_folds_server_events_into_the_servers_state(
    browser: Browser, static_site: str
) -> None:
    start, end, events = _scenario()
    # Fanny facilitates: she sees every record whole, and Karim's private note as "redacted".
    # (Others get a fresh snapshot as a consultation closes, so their fold stops there.)
    seen_by = "f"

    def sent(event: Event) -> Event:
        audience = audience_of(event, end.plan)
        return redacted(event) if audience is not None and seen_by not in audience else event

    wire: list[dict[str, Any]] = [json.loads(sent(e).model_dump_json()) for e in events]
    assert {e["type"] for e in wire} >= {
        "redacted",
        "client_chosen",
        "timer_changed",
        "action_item_removed",
        "record_shared",
    }
    page = _module_page(browser, static_site)
    folded = page.evaluate(
        """async ([state, events]) => {
            const { evolve } = await import('/js/reducer.js');
            return events.reduce(evolve, state);
        }""",
        [start.view_for(seen_by), wire],
    )
    assert folded == json.loads(json.dumps(end.view_for(seen_by)))
    page.close()


def test_reducer_refuses_unknown_events_and_gaps(browser: Browser, static_site: str) -> None:
    start = new_meeting("m", _plan()).view_for("a")
    page = _module_page(browser, static_site)
    outcome = page.evaluate(
        """async (state) => {
            const { evolve, SeqGap } = await import('/js/reducer.js');
            const attempt = (event) => {
              try { evolve(state, event); return 'applied'; }
              catch (e) { return e instanceof SeqGap ? 'gap' : e.message; }
            };
            return {
              unknown: attempt({ type: 'vote_cast', seq: 1, at: '2030-01-01T00:00:00Z' }),
              gap: attempt({ type: 'redacted', seq: 3, at: '2030-01-01T00:00:00Z' }),
              redacted: evolve(state, { type: 'redacted', seq: 1, at: '2030-01-01T00:00:00Z' }).seq,
              untouched: state.seq,
            };
        }""",
        start,
    )
    assert outcome == {
        "unknown": 'unknown event type "vote_cast"',
        "gap": "gap",
        "redacted": 1,
        "untouched": 0,
    }
    page.close()


def test_reducer_follows_a_lobby_replan_and_a_no_trace_purge(
    browser: Browser, static_site: str
) -> None:
    first = _plan()
    start = new_meeting("m", first)
    clock = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
    changed = first.model_copy(update={"no_trace": True, "participants": dict(first.participants)})
    events: list[Event] = replan(start, changed, clock)
    state = fold(start, events)
    for actor, command in [
        ("a", c.AddPrivateNote(text="mine")),
        ("f", c.AdvanceStage(expected_stage=Stage.LOBBY)),
        ("f", c.AdvanceStage(expected_stage=Stage.CHECK_IN)),
        ("k", c.ProposeTopic(headline="A topic")),
        ("f", c.ChooseClient(member_id="a")),
        ("f", c.AdvanceStage(expected_stage=Stage.CLIENT_CHOICE)),
        ("a", c.SetCase(headline="Secret", topic_type="problem")),
        ("f", c.EndMeeting(expected_stage=Stage.PRESENTATION)),
    ]:
        clock += timedelta(seconds=5)
        state, new = apply(state, command, actor, clock)
        events.extend(new)
    assert {e.type for e in events} >= {"plan_changed", "content_purged"}
    wire = [json.loads(e.model_dump_json()) for e in events]
    page = _module_page(browser, static_site)
    folded = page.evaluate(
        """async ([state, events]) => {
            const { evolve } = await import('/js/reducer.js');
            return events.reduce(evolve, state);
        }""",
        [start.view_for("a"), wire],
    )
    assert folded == json.loads(json.dumps(state.view_for("a")))
    page.close()
