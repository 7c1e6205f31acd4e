"""Who may send which command in which stage. Everything that decides permission lives here.

``PERMISSIONS[command][stage]`` is the set of roles allowed; a stage missing from a command's row
means the command does not belong to that stage at all (``wrong_stage``); a role missing from the
set means it belongs to the stage but not to that role (``forbidden``).
"""

from __future__ import annotations

from .errors import Forbidden, WrongStage
from .vocabulary import Role, Stage

F = Role.FACILITATOR
C = Role.CLIENT
K = Role.CONSULTANT
S = Role.SCRIBE
T = Role.TIMEKEEPER
O = Role.OBSERVER  # noqa: E741

CONSULTING = frozenset({K, S, T})
"""Consultants, including the scribe and the timekeeper, who consult too."""
MEMBERS = CONSULTING | {C}
EVERYONE = MEMBERS | {F, O}
TIMEKEEPING = frozenset({F, T})
FACILITATION = frozenset({F})

LOBBY = Stage.LOBBY
CHECK_IN, FOLLOW_UP, CLIENT_CHOICE = Stage.CHECK_IN, Stage.FOLLOW_UP, Stage.CLIENT_CHOICE
PRESENTATION, CLARIFICATION, CONTRACT = Stage.PRESENTATION, Stage.CLARIFICATION, Stage.CONTRACT
CONSULTATION, SYNTHESIS, CONCLUSION = Stage.CONSULTATION, Stage.SYNTHESIS, Stage.CONCLUSION
ENDED = Stage.ENDED
OPENERS = (CHECK_IN, FOLLOW_UP, CLIENT_CHOICE)
SIX = (PRESENTATION, CLARIFICATION, CONTRACT, CONSULTATION, SYNTHESIS, CONCLUSION)
LIVE = OPENERS + SIX


def _in(stages: tuple[Stage, ...], roles: frozenset[Role]) -> dict[Stage, frozenset[Role]]:
    return dict.fromkeys(stages, roles)


PERMISSIONS: dict[str, dict[Stage, frozenset[Role]]] = {
    # The facilitator alone moves through the agenda.
    "advance_stage": _in((LOBBY, *LIVE), FACILITATION),
    "return_to_stage": _in(LIVE, FACILITATION),
    "end_meeting": _in((LOBBY, *LIVE), FACILITATION),
    # Timers advise; the facilitator or a delegated timekeeper adjusts them.
    "pause_timer": _in(LIVE, TIMEKEEPING),
    "resume_timer": _in(LIVE, TIMEKEEPING),
    "extend_timer": _in(LIVE, TIMEKEEPING),
    # Openers.
    "report_follow_up": {FOLLOW_UP: MEMBERS},
    "propose_topic": {CLIENT_CHOICE: MEMBERS},
    "choose_client": {CLIENT_CHOICE: FACILITATION},
    # 1: the client presents; consultants only listen.
    "set_case": {PRESENTATION: frozenset({C})},
    # 2: consultants ask factual questions, the client answers.
    "ask_question": {CLARIFICATION: CONSULTING},
    "answer_question": {CLARIFICATION: frozenset({C})},
    "mark_answered_aloud": {CLARIFICATION: frozenset({C})},
    # 3: the client states the request; consultants rephrase it.
    "set_contract": {CONTRACT: frozenset({C})},
    "rephrase_contract": {CONTRACT: CONSULTING},
    # 4: consultants consult; the client listens, marks what to keep and may signal;
    # the scribe writes notes for the client. No voting, no ranking.
    "add_contribution": {CONSULTATION: CONSULTING},
    "mark_contribution": {CONSULTATION: frozenset({C}), SYNTHESIS: frozenset({C})},
    "signal": {CONSULTATION: frozenset({C})},
    "withdraw_signal": {CONSULTATION: frozenset({C})},
    "add_scribe_note": {CONSULTATION: frozenset({S})},
    # 2-4: an author takes back their item; the facilitator sets one aside (its author is told).
    "withdraw_item": _in((CLARIFICATION, CONTRACT, CONSULTATION), CONSULTING),
    "edit_item": _in((CLARIFICATION, CONTRACT, CONSULTATION), CONSULTING),
    "set_item_aside": _in((CLARIFICATION, CONTRACT, CONSULTATION), FACILITATION),
    # 5: the client writes the synthesis and action plan; others listen.
    "set_synthesis": {SYNTHESIS: frozenset({C})},
    "save_action_item": {SYNTHESIS: frozenset({C})},
    "remove_action_item": {SYNTHESIS: frozenset({C})},
    # 6: everyone in turn; the facilitator does not evaluate their own facilitation.
    "post_learning": {CONCLUSION: EVERYONE},
    "submit_evaluation": {CONCLUSION: EVERYONE - {F}},
    # The client's record is theirs: they share it with the group (or not), during the meeting
    # or after it. The role that counts is the sender's in the consultation the command names.
    "share_record": _in((*LIVE, ENDED), frozenset({C})),
    # Any time.
    "add_private_note": _in((LOBBY, *LIVE), EVERYONE),
    "set_ready": _in(LIVE, EVERYONE - {F}),
    # Hands: nobody interrupts the client's presentation or synthesis; observers stay silent
    # until the conclusion.
    "raise_hand": {
        **_in(OPENERS, MEMBERS),
        CLARIFICATION: CONSULTING,
        CONTRACT: MEMBERS,
        CONSULTATION: CONSULTING,
        CONCLUSION: MEMBERS | {O},
    },
    "lower_hand": _in(LIVE, EVERYONE - {F}),
    "call_on": _in(LIVE, FACILITATION),
    "clear_queue": _in(LIVE, FACILITATION),
    # Across the cycle: the facilitator confirms attendance during the meeting and after its
    # end, and may show the group's charter to the room at any time before the end.
    "confirm_attendance": _in((*LIVE, Stage.ENDED), FACILITATION),
    "show_charter": _in((LOBBY, *LIVE), FACILITATION),
    "hide_charter": _in((LOBBY, *LIVE), FACILITATION),
    "set_display_timer": _in((LOBBY, *LIVE), FACILITATION),
}

STRICT_SILENT_CLIENT_REFUSES = frozenset({"signal"})
"""In the strict variant, the client stays silent in stage 4: these commands are refused."""


def allowed_roles(command: str, stage: Stage) -> frozenset[Role] | None:
    """The roles that may send ``command`` in ``stage``; None if the stage has no such command."""
    return PERMISSIONS[command].get(stage)


def check_permission(command: str, stage: Stage, role: Role, *, strict_silent: bool) -> None:
    """Raise WrongStage or Forbidden unless ``role`` may send ``command`` in ``stage``."""
    roles = allowed_roles(command, stage)
    if roles is None:
        where = ", ".join(s.value for s in PERMISSIONS[command])
        raise WrongStage(f"{command} belongs to {where}; the meeting is in {stage.value}")
    if role not in roles:
        raise Forbidden(f"a {role.value} cannot {command.replace('_', ' ')} in {stage.value}")
    if strict_silent and role is Role.CLIENT and command in STRICT_SILENT_CLIENT_REFUSES:
        raise Forbidden(f"the client listens in silence in {stage.value} (strict variant)")
