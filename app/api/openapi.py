"""The OpenAPI document as the server really answers: one place that adds, to every operation,
the error bodies ``app.api.errors`` sends (``{"error": {code, message, details}}``) in place of
FastAPI's ``detail`` shape, and an example to every request body.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from app.api.routes.auth import Login
from app.api.routes.charter import CharterAccept, CharterSave
from app.api.routes.cycles import CycleCreate, SwapBody
from app.api.routes.groups import GroupCreate, GroupUpdate
from app.api.routes.invites import InviteAccept, InviteCreate
from app.api.routes.meetings import MeetingCreate, MeetingUpdate
from app.api.routes.members import MemberCreate, MemberUpdate
from app.api.routes.organizers import OrganizerCreate
from app.api.routes.setup import SetupCreate

ERRORS: dict[int, tuple[str, str, str]] = {
    401: ("Not signed in, or the session expired", "not_authenticated", "sign in first"),
    403: (
        "Signed in but not allowed, or a write from another site",
        "forbidden",
        "only the group's organizer may do this",
    ),
    404: ("No such thing, or not one of yours", "not_found", "there is no such meeting"),
    409: ("Clashes with the current state", "conflict", "meeting has started"),
    410: ("Was valid once, no longer", "gone", "this invite link is no longer valid"),
    413: ("The request body is too large", "too_large", "the request body is too large"),
    422: (
        "A field is missing, of the wrong type, or makes no sense here",
        "invalid",
        "name: string should have at least 1 character",
    ),
    429: ("Too many requests", "rate_limited", "too many requests: try again in a moment"),
}
"""Status, what it means, and an example ``code`` and ``message``."""

ERROR_BODY: dict[str, Any] = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Stable, for programs"},
                "message": {"type": "string", "description": "Lowercase, for people"},
                "details": {
                    "type": "array",
                    "description": "422 only: each field that was refused",
                    "items": {
                        "type": "object",
                        "properties": {
                            "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}

ANA = "8f14e45fceea167a5a36dedd4bea2543"
ZOE = "c9f0f895fb98ab9159f51fd0297e236d"
EXAMPLES: dict[type[BaseModel], dict[str, Any]] = {
    SetupCreate: {
        "token": "the token printed at first start",
        "email": "olivia@example.org",
        "name": "Olivia Organizer",
        "password": "a long passphrase",
    },
    Login: {"email": "olivia@example.org", "password": "a long passphrase"},
    OrganizerCreate: {
        "email": "omar@example.org",
        "name": "Omar",
        "password": "another passphrase",
    },
    GroupCreate: {"name": "Managers' circle", "add_me_as_facilitator": True, "my_name": "Olivia"},
    GroupUpdate: {"name": "New managers' circle"},
    MemberCreate: {"name": "Ana", "email": "ana@example.org", "language": "fr"},
    MemberUpdate: {"email": "ana@example.com", "is_facilitator": False},
    InviteCreate: {"send": True},
    InviteAccept: {"token": "the part of the invite link after /invite/"},
    MeetingCreate: {
        "title": "January meeting",
        "scheduled_for": "2027-01-12T18:00:00-05:00",
        "video_url": "https://meet.example.org/circle",
        "facilitator_id": ZOE,
        "openers": ["check_in"],
        "consultations": [{"client_id": ANA, "preset": "90"}],
    },
    MeetingUpdate: {"scheduled_for": "2027-01-19T18:00:00-05:00"},
    CycleCreate: {
        "name": "2027 cycle",
        "starts_at": "2027-01-12T18:00:00-05:00",
        "rhythm_weeks": 4,
        "planned_meetings": None,
        "facilitator_id": ZOE,
        "openers": ["check_in", "follow_up"],
        "preset": "90",
    },
    SwapBody: {"member_ids": [ANA, ZOE]},
    CharterSave: {"text": "What is said here stays here. We come to every meeting we can."},
    CharterAccept: {"version": 1},
}
"""One request body each; ``tests/api/test_openapi.py`` checks every one is accepted."""


def document(app: FastAPI) -> None:
    """Make ``app.openapi()`` describe the real error bodies and show request examples."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        components["ErrorBody"] = ERROR_BODY
        examples = {model.__name__: example for model, example in EXAMPLES.items()}
        for operations in schema["paths"].values():
            for operation in operations.values():
                _errors(operation["responses"])
                _example(operation.get("requestBody"), examples)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _errors(responses: dict[str, Any]) -> None:
    for status, (description, code, message) in ERRORS.items():
        responses[str(status)] = {
            "description": description,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/ErrorBody"},
                    "example": {"error": {"code": code, "message": message}},
                }
            },
        }


def _example(body: dict[str, Any] | None, examples: dict[str, dict[str, Any]]) -> None:
    if body is None:
        return
    content = body["content"]["application/json"]
    for ref in _refs(content["schema"]):
        name = ref.rsplit("/", 1)[-1]
        if name in examples:
            content["example"] = examples[name]
            return


def _refs(schema: dict[str, Any]) -> list[str]:
    """The component(s) a body schema names, directly or as an optional (anyOf with null)."""
    if "$ref" in schema:
        return [schema["$ref"]]
    return [s["$ref"] for s in schema.get("anyOf", []) if "$ref" in s]
