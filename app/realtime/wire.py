"""The wire contract: what clients send, what the server sends back. See README "Protocol".

Client → server: a command of ``app.stages.commands`` plus a ``cid``; or ``ping``; or ``resync``.
Server → client: ``hello``, ``ack``, ``error``, ``pong``, ``presence`` and the meeting events of
``app.stages.events`` (each with ``seq`` and ``at``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from app.stages import COMMAND_ADAPTER, COMMAND_TYPES, Command, Role

Cid = Annotated[str, Field(min_length=1, max_length=64)]
BAD_CID = "cid must be a string of 1 to 64 characters, with no lone surrogate"


class WireError(Exception):
    """Raised when a client frame is not a valid message; the connection stays open."""

    def __init__(self, code: str, message: str, cid: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.cid = code, message, cid


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- client → server ----------------------------------------------------------------------------


class Ping(_Message):
    """Measures the clock offset: the server answers with its time."""

    type: Literal["ping"]
    cid: Cid | None = None
    client_time: float | None = None


class Resync(_Message):
    """Asks again for everything after ``since`` (after a client noticed a gap in ``seq``)."""

    type: Literal["resync"]
    cid: Cid | None = None
    since: Annotated[int, Field(ge=0)] | None = None


class CommandMessage(_Message):
    cid: str
    command: Command


ClientMessage = Ping | Resync | CommandMessage


def parse_client_frame(frame: str) -> ClientMessage:
    """Validate one text frame, or raise WireError saying precisely what is wrong."""
    try:
        data = json.loads(frame)
    except ValueError:
        raise WireError("invalid_json", "the message is not valid JSON") from None
    except RecursionError:
        raise WireError("invalid_json", "the message is nested too deeply") from None
    if not isinstance(data, dict):
        raise WireError("invalid_message", "a message is a JSON object with a type")
    cid = data.pop("cid", None)
    if cid is not None and valid_cid(cid) is None:
        raise WireError("invalid_message", BAD_CID)
    kind = data.get("type")
    if kind in ("ping", "resync"):
        model = Ping if kind == "ping" else Resync
        try:
            return model.model_validate({**data, "cid": cid})
        except ValidationError as exc:
            raise WireError("invalid_message", _describe(exc), cid) from None
    if not isinstance(kind, str) or kind not in COMMAND_TYPES:
        raise WireError("unknown_type", f"unknown message type {str(kind)[:40]!r}", cid)
    if cid is None:
        raise WireError("missing_cid", "every command needs a cid to be idempotent")
    try:
        # Strict, from JSON: "60", true or 1.0 is not a number of seconds, yet enums come as
        # their values and dates as ISO strings, as JSON can only carry them. (Re-encoded
        # without the cid, which the commands do not have: in Rust, a microsecond or two.)
        command = COMMAND_ADAPTER.validate_json(to_json(data), strict=True)
    except ValidationError as exc:
        raise WireError("invalid_message", _describe(exc), cid) from None
    except PydanticSerializationError:
        raise WireError("invalid_message", "a text holds a lone surrogate", cid) from None
    return CommandMessage(cid=cid, command=command)


def valid_cid(value: object) -> str | None:
    """``value`` if it can be a cid: 1 to 64 characters that can be written back as UTF-8 (a
    lone surrogate, valid in JSON as ``"\\ud800"``, cannot be stored, logged or echoed)."""
    if not (isinstance(value, str) and 1 <= len(value) <= 64):
        return None
    try:
        value.encode()
    except UnicodeEncodeError:
        return None
    return value


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"][1:] or error["loc"])
    return f"{where}: {error['msg']}".lower() if where else str(error["msg"]).lower()


# --- server → client ----------------------------------------------------------------------------


class You(_Message):
    member_id: str
    name: str


class PresenceEntry(_Message):
    member_id: str
    connections: int


class Hello(_Message):
    type: Literal["hello"] = "hello"
    you: You
    role: Role | Literal["display"]
    server_time: datetime
    seq: int
    """The seq the client is at after this hello (and, when resuming, the replayed events)."""
    resumed: bool
    """True when ``state`` is omitted because the missed events follow this message."""
    state: dict[str, Any] | None
    meeting: dict[str, Any]
    presence: list[PresenceEntry]


class Ack(_Message):
    type: Literal["ack"] = "ack"
    cid: str
    seq: int
    duplicate: bool = False


class Error(_Message):
    type: Literal["error"] = "error"
    cid: str | None
    code: str
    message: str


class Pong(_Message):
    type: Literal["pong"] = "pong"
    cid: str | None
    server_time: datetime
    client_time: float | None


class Presence(_Message):
    type: Literal["presence"] = "presence"
    online: list[PresenceEntry]
