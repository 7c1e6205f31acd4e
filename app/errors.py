"""Errors raised by the service and API layers, mapped to HTTP responses at the edge only.

Every error has a stable ``code`` for clients and a lowercase, specific ``message`` for people.
Refusals of the stage machine (``app.stages.errors``) are mapped in ``app.api.errors``.
"""

from __future__ import annotations


class AppError(Exception):
    """Raised when a request cannot be served; the base of every error with an HTTP status."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAuthenticated(AppError):
    """Raised when a request needs a signed-in organizer or member and has none."""

    status = 401
    code = "not_authenticated"


class PermissionDenied(AppError):
    """Raised when the signed-in person may not do this (another group's data, not organizer)."""

    status = 403
    code = "forbidden"


class NotFound(AppError):
    """Raised when an id names nothing the caller can see (also used for other groups' ids)."""

    status = 404
    code = "not_found"


class Conflict(AppError):
    """Raised when the request clashes with the current state (email taken, meeting started)."""

    status = 409
    code = "conflict"


class InvalidRequest(AppError):
    """Raised when a well-formed request makes no sense (e.g. a plan with clashing roles)."""

    status = 422
    code = "invalid"


class Gone(AppError):
    """Raised when a link was valid once but no longer is (expired or revoked invite)."""

    status = 410
    code = "gone"
