"""The method's words, as slugs shared by the wire, the database and the UI catalogues."""

from enum import StrEnum


class Stage(StrEnum):
    """A step of a meeting: the lobby, optional openers, the six stages, the end."""

    LOBBY = "lobby"
    CHECK_IN = "check_in"
    FOLLOW_UP = "follow_up"
    CLIENT_CHOICE = "client_choice"
    PRESENTATION = "presentation"
    CLARIFICATION = "clarification"
    CONTRACT = "contract"
    CONSULTATION = "consultation"
    SYNTHESIS = "synthesis"
    CONCLUSION = "conclusion"
    ENDED = "ended"


OPENERS: tuple[Stage, ...] = (Stage.CHECK_IN, Stage.FOLLOW_UP, Stage.CLIENT_CHOICE)
SIX_STAGES: tuple[Stage, ...] = (
    Stage.PRESENTATION,
    Stage.CLARIFICATION,
    Stage.CONTRACT,
    Stage.CONSULTATION,
    Stage.SYNTHESIS,
    Stage.CONCLUSION,
)
LIVE_STAGES: tuple[Stage, ...] = OPENERS + SIX_STAGES


class Role(StrEnum):
    """A participant's role in the current consultation."""

    FACILITATOR = "facilitator"
    CLIENT = "client"
    CONSULTANT = "consultant"
    SCRIBE = "scribe"
    TIMEKEEPER = "timekeeper"
    OBSERVER = "observer"


class TopicType(StrEnum):
    """The "3P": what the client brings."""

    PROBLEM = "problem"
    PROJECT = "project"
    PREOCCUPATION = "preoccupation"


class ContributionKind(StrEnum):
    REACTION = "reaction"
    HYPOTHESIS = "hypothesis"
    SUGGESTION = "suggestion"
    EXPERIENCE = "experience"
    QUESTION = "question"
    RESOURCE = "resource"


class HelpType(StrEnum):
    """The kinds of help a client may ask for in the contract."""

    IDEAS = "ideas"
    EXPERIENCES = "experiences"
    HYPOTHESES = "hypotheses"
    RESOURCES = "resources"
    REACTIONS = "reactions"


class Mark(StrEnum):
    """The client's own sorting of a contribution. Never a vote, never a ranking."""

    KEEP = "keep"
    MAYBE = "maybe"


class ClientSignal(StrEnum):
    """What a listening client may signal in stage 4 (not in the strict variant)."""

    OFF_CONTRACT = "off_contract"
    PLEASE_CLARIFY = "please_clarify"


class Attendance(StrEnum):
    """A member's attendance at a meeting, as the facilitator confirms it."""

    PRESENT = "present"
    EXCUSED = "excused"
    ABSENT = "absent"
