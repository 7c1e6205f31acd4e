"""The baseline: the least a broadcast server on the same stack can do for the same load.

FastAPI + uvicorn (websockets-sansio, no compression, the same ping settings as ``codev serve``),
no database, no validation, no per-socket queue: a message from any participant is answered with
an ``ack`` and broadcast to the room as an event of the same size as Codev's event of that kind
(sizes measured in the Codev run, passed in ``BENCH_SIZES``). It keeps just enough of a meeting
(a ``seq`` and the current stage) for the load generator to behave the same way against it.

Run: ``python -m bench.baseline --port 8030``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import uvicorn
from fastapi import FastAPI, WebSocket
from starlette.websockets import WebSocketDisconnect

STAGES = (
    "lobby",
    "presentation",
    "clarification",
    "contract",
    "consultation",
    "synthesis",
    "conclusion",
)
EVENT_OF = {
    "advance_stage": "stage_changed",
    "return_to_stage": "stage_changed",
    "pause_timer": "timer_changed",
    "resume_timer": "timer_changed",
    "extend_timer": "timer_changed",
    "set_case": "case_set",
    "ask_question": "question_asked",
    "answer_question": "question_answered",
    "set_contract": "contract_set",
    "rephrase_contract": "contract_rephrased",
    "add_contribution": "contribution_added",
    "mark_contribution": "contribution_marked",
    "set_synthesis": "synthesis_set",
    "post_learning": "learning_posted",
    "add_private_note": "redacted",
    "set_ready": "ready_changed",
}
SIZES: dict[str, float] = json.loads(os.environ.get("BENCH_SIZES") or "{}")


class Room:
    __slots__ = ("seq", "sockets", "stage")

    def __init__(self) -> None:
        self.sockets: set[WebSocket] = set()
        self.seq = 0
        self.stage = 0


rooms: dict[str, Room] = {}


def padded(message: dict[str, object], kind: str) -> str:
    """``message`` as JSON, padded to the size Codev's text of this kind had."""
    text = json.dumps(message, separators=(",", ":"))
    missing = int(SIZES.get(kind, 0)) - len(text) - 10
    if missing > 0:
        message["pad"] = "x" * missing
        text = json.dumps(message, separators=(",", ":"))
    return text


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    gc.collect()
    gc.freeze()  # what codev serve does at start-up too
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/")
async def index() -> dict[str, str]:
    return {"baseline": "ok"}


@app.websocket("/ws/meetings/{meeting_id}")
async def relay(websocket: WebSocket, meeting_id: str) -> None:
    await websocket.accept()
    room = rooms.get(meeting_id)
    if room is None:
        room = rooms[meeting_id] = Room()
    room.sockets.add(websocket)
    hello = {"type": "hello", "seq": room.seq, "resumed": False, "state": {}}
    hello["state"] = {"stage": STAGES[room.stage]}
    await websocket.send_text(padded(hello, "hello"))
    try:
        while True:
            message = json.loads(await websocket.receive_text())
            command = message.get("type")
            kind = EVENT_OF.get(command, "ready_changed")
            room.seq += 1
            event: dict[str, object] = {"type": kind, "seq": room.seq, "at": _now()}
            if kind == "stage_changed":
                if command == "return_to_stage" and message.get("stage") in STAGES:
                    room.stage = STAGES.index(message["stage"])
                else:
                    room.stage = min(room.stage + 1, len(STAGES) - 1)
                event["stage"] = STAGES[room.stage]
            elif kind == "question_asked":
                event["question"] = {"id": room.seq}
            elif kind == "contribution_added":
                event["contribution"] = {"id": room.seq}
            text = padded(event, kind)
            for peer in list(room.sockets):
                try:
                    await peer.send_text(text)
                except Exception:  # a peer that went away: its own loop removes it
                    room.sockets.discard(peer)
            ack = {"type": "ack", "cid": message.get("cid"), "seq": room.seq, "duplicate": False}
            await websocket.send_text(json.dumps(ack))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        room.sockets.discard(websocket)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8030)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        ws="websockets-sansio",
        ws_max_size=64 * 1024,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        ws_per_message_deflate=False,
        lifespan="on",
        log_level="info",
    )


if __name__ == "__main__":
    main()
