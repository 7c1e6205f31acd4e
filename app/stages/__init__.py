"""The pure six-stage machine of a co-development meeting: no I/O, no clock, no framework.

Use ``apply(state, command, actor, now)``; it returns the new state and the events to store and
publish, or raises a ``CommandRefused`` subclass and leaves the state as it was.
"""

from .audience import Audience, audience_of, changes_views
from .commands import COMMAND_ADAPTER, COMMAND_TYPES, Command
from .errors import CommandRefused, InvalidPlan
from .events import EVENT_ADAPTER, Event, redacted
from .machine import apply, decide, evolve, fold, purge, replan
from .permissions import PERMISSIONS
from .plan import ConsultationPlan, MeetingPlan, Participant, Preset, PreviousPlan
from .state import MeetingState, agenda, new_meeting
from .vocabulary import Role, Stage

__all__ = [
    "COMMAND_ADAPTER",
    "COMMAND_TYPES",
    "EVENT_ADAPTER",
    "PERMISSIONS",
    "Audience",
    "Command",
    "CommandRefused",
    "ConsultationPlan",
    "Event",
    "InvalidPlan",
    "MeetingPlan",
    "MeetingState",
    "Participant",
    "Preset",
    "PreviousPlan",
    "Role",
    "Stage",
    "agenda",
    "apply",
    "audience_of",
    "changes_views",
    "decide",
    "evolve",
    "fold",
    "new_meeting",
    "purge",
    "redacted",
    "replan",
]
