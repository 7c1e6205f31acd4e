"""A command the database cannot take right now gets an answer, and the socket stays."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.api.ws import _execute
from app.ops.metrics import Metrics
from app.realtime.hub import Connection
from app.realtime.wire import CommandMessage, parse_client_frame
from tests.realtime.test_gap_fill import Socket


class Overloaded:
    async def execute(self, *args: Any) -> None:
        raise PoolTimeout("QueuePool limit of size 10 overflow 10 reached")


async def test_a_question_the_database_cannot_take_is_answered_busy_and_the_socket_stays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    socket = Socket()
    sent: list[str] = []

    async def drain(conn: Connection) -> None:
        sent.extend(text for _, text in conn.queue)  # type: ignore[misc]
        conn.queue.clear()
        conn.draining = False

    conn = Connection("m1", "ana", "Ana", {}, socket, socket.send, drain, limit=10)  # type: ignore[arg-type]
    frame = '{"type":"ask_question","cid":"q-1","text":"Who decided?"}'
    message = parse_client_frame(frame)
    assert isinstance(message, CommandMessage)

    services = SimpleNamespace(meetings=Overloaded(), metrics=Metrics())
    await _execute(services, conn, message)  # type: ignore[arg-type]

    reply = json.loads(sent[0])
    assert (reply["type"], reply["cid"], reply["code"]) == ("error", "q-1", "busy")
    assert "send it again" in reply["message"]
    assert not conn.stopped
    assert "failed on the database" in caplog.text
