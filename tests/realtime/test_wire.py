"""Every command in the README's documented JSON form passes the strict wire validation."""

from __future__ import annotations

import json

import pytest

from app.realtime.wire import CommandMessage, parse_client_frame
from app.stages import COMMAND_TYPES

DOCUMENTED = {
    "advance_stage": {"expected_stage": "lobby"},
    "return_to_stage": {"expected_stage": "consultation", "stage": "contract"},
    "end_meeting": {"expected_stage": "conclusion"},
    "pause_timer": {},
    "resume_timer": {},
    "extend_timer": {"seconds": 60},
    "report_follow_up": {"text": "I held the one-to-ones"},
    "propose_topic": {"headline": "A merger", "topic_type": "project"},
    "choose_client": {"member_id": "abc", "consultation": 1},
    "set_case": {"headline": "h", "topic_type": "preoccupation", "context": "c", "question": "q"},
    "ask_question": {"text": "Since when?"},
    "answer_question": {"question_id": 3, "text": "Since May"},
    "mark_answered_aloud": {"question_id": 3, "answered": False},
    "set_contract": {"text": "Help me", "help_wanted": ["ideas", "resources"]},
    "rephrase_contract": {"text": "You want"},
    "add_contribution": {"kind": "hypothesis", "text": "Maybe"},
    "mark_contribution": {"contribution_id": 7, "mark": None},
    "signal": {"signal": "off_contract", "contribution_id": 7},
    "withdraw_signal": {"signal_id": 7},
    "withdraw_item": {"item_id": 4},
    "edit_item": {"item_id": 4, "text": "Since when, exactly?"},
    "set_item_aside": {"item_id": 4},
    "add_scribe_note": {"text": "noted"},
    "set_synthesis": {"text": "I keep"},
    "save_action_item": {
        "item_id": None,
        "action": "Meet",
        "objective": "o",
        "due": "2027-01-15",
        "indicator": "i",
        "follow_up": "2027-02-01",
    },
    "remove_action_item": {"item_id": 9},
    "post_learning": {"text": "learnt"},
    "submit_evaluation": {
        "appreciation": "a",
        "expectations": "e",
        "learnings": "l",
        "applications": "p",
        "ratings": {
            "usefulness": 5,
            "listening": 4,
            "rules": 3,
            "climate": 2,
            "timing": 1,
            "facilitation": None,
        },
    },
    "add_private_note": {"text": "mine"},
    "share_record": {"consultation": 1, "shared": True},
    "set_ready": {"ready": False},
    "raise_hand": {},
    "lower_hand": {},
    "call_on": {"member_id": "abc"},
    "clear_queue": {},
    "confirm_attendance": {"member_id": "abc", "status": "excused"},
    "show_charter": {"version": 2, "text": "What is said here stays here."},
    "hide_charter": {},
    "set_display_timer": {"shown": False},
}


def test_every_command_has_a_documented_example_here() -> None:
    assert sorted(DOCUMENTED) == sorted(COMMAND_TYPES)


@pytest.mark.parametrize("kind", sorted(DOCUMENTED))
def test_a_command_in_its_documented_json_form_is_accepted(kind: str) -> None:
    fields = DOCUMENTED[kind]
    parsed = parse_client_frame(json.dumps({"type": kind, "cid": "c-1", **fields}))
    assert isinstance(parsed, CommandMessage)
    assert parsed.cid == "c-1"
    assert parsed.command.model_dump(mode="json", include=set(fields)) == fields
