"""Why a command is refused. Each refusal leaves the meeting state unchanged.

Messages are lowercase and specific; ``code`` is the stable slug clients switch on.
"""


class CommandRefused(Exception):
    """Raised when a command cannot be applied to the current state."""

    code = "refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WrongStage(CommandRefused):
    """Raised when the command exists for other stages, not the current one."""

    code = "wrong_stage"


class Forbidden(CommandRefused):
    """Raised when the actor's role may not send this command in this stage."""

    code = "forbidden"


class StageMismatch(CommandRefused):
    """Raised when a stage change names a stage that is no longer current (double click, race)."""

    code = "stage_mismatch"


class NotFound(CommandRefused):
    """Raised when a command names an item or participant that does not exist."""

    code = "not_found"


class LimitReached(CommandRefused):
    """Raised when a stage already holds as many items as it may."""

    code = "limit_reached"


class InvalidCommand(CommandRefused):
    """Raised when a well-formed command makes no sense in this state (e.g. a bad target stage)."""

    code = "invalid"


class InvalidPlan(ValueError):
    """Raised when a meeting plan is inconsistent (unknown people, clashing roles)."""
