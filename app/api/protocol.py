"""``/api/protocol.json``: the WebSocket protocol as JSON Schema, generated from the wire models.

``ClientMessage`` is what a client may send (every command of ``app.stages.commands`` with its
``cid``, ``ping``, ``resync``), ``ServerMessage`` what it receives (``hello``, ``ack``, ``error``,
``pong``, ``presence`` and every event of ``app.stages.events``), ``Snapshot`` the state in
``hello``. Being generated, it cannot drift from the code; ``tests/api/test_protocol.py`` checks
real frames against it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter
from pydantic import TypeAdapter

from app.realtime.wire import Ack, Error, Hello, Ping, Pong, Presence, Resync
from app.stages import COMMAND_ADAPTER, EVENT_ADAPTER, MeetingState

router = APIRouter(prefix="/api", tags=["protocol"])

REF = "#/$defs/{model}"
CID = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "description": "Your id for this command, unique per member: a resent cid is answered "
    "with the first answer (duplicate: true) and applied once.",
}


def _into(defs: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Move ``schema``'s ``$defs`` into the shared ones; return what is left."""
    defs.update(schema.pop("$defs", {}))
    return schema


@cache
def protocol_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    commands = _into(defs, COMMAND_ADAPTER.json_schema(ref_template=REF))
    for ref in commands["discriminator"]["mapping"].values():
        command = defs[ref.rsplit("/", 1)[-1]]
        command["properties"]["cid"] = CID
        command["required"] = sorted({*command.get("required", []), "type", "cid"})
    pings = _into(defs, TypeAdapter(Ping | Resync).json_schema(ref_template=REF))
    events = _into(defs, EVENT_ADAPTER.json_schema(mode="serialization", ref_template=REF))
    replies = _into(
        defs,
        TypeAdapter(Hello | Ack | Error | Pong | Presence).json_schema(
            mode="serialization", ref_template=REF
        ),
    )
    snapshot = _into(
        defs, TypeAdapter(MeetingState).json_schema(mode="serialization", ref_template=REF)
    )
    defs["Hello"]["properties"]["state"] = {
        "anyOf": [{"$ref": "#/$defs/Snapshot"}, {"type": "null"}],
        "description": "The meeting as you may see it; null when resumed (missed events follow).",
    }
    # ``MeetingState.view_for`` adds what a client would otherwise derive from the agenda.
    snapshot["properties"]["stage"] = {"$ref": "#/$defs/Stage", "description": "The current stage"}
    snapshot["properties"]["consultation"] = {
        "anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}],
        "description": "Index of the current consultation; null in the lobby and openers",
    }
    snapshot["required"] = sorted({*snapshot.get("required", []), "stage", "consultation"})
    defs["Snapshot"] = snapshot
    defs["Command"] = commands
    defs["ClientMessage"] = {"oneOf": [*pings["anyOf"], {"$ref": "#/$defs/Command"}]}
    defs["Event"] = events
    defs["ServerMessage"] = {"oneOf": [*replies["anyOf"], {"$ref": "#/$defs/Event"}]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "/api/protocol.json",
        "title": "Codev WebSocket protocol (/ws/meetings/{id})",
        "description": "Each frame is one JSON object. Send a ClientMessage; receive "
        "ServerMessages. The Snapshot is the state in hello; events fold into it.",
        "$defs": defs,
        "oneOf": [{"$ref": "#/$defs/ClientMessage"}, {"$ref": "#/$defs/ServerMessage"}],
    }


@router.get("/protocol.json")
async def protocol() -> dict[str, Any]:
    """The WebSocket protocol's messages as JSON Schema (2020-12), generated from the code."""
    return protocol_schema()
