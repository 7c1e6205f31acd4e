"""The server's log: one line per connection and per refusal, with ids and codes, and never any
text a participant typed nor a secret from a path."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.logs import JsonFormatter, Redact, TextFormatter, redact
from tests.live import LiveServer, live_server
from tests.ops.helpers import consult, schedule

pytestmark = pytest.mark.slow


@pytest.fixture
def json_server(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(tmp_path / "data", CODEV_LOG_FORMAT="json") as running:
        yield running


def _lines(server: LiveServer) -> list[dict[str, object]]:
    """Every log line (the setup banner is printed, not logged)."""
    out = []
    for line in "".join(server.output).splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


async def test_a_whole_consultation_leaves_no_typed_text_in_the_server_log(
    json_server: LiveServer,
) -> None:
    scheduled = await asyncio.to_thread(schedule, json_server)
    meeting_id = scheduled.meeting("November meeting")
    scheduled.org.close()
    people = scheduled.people(json_server, meeting_id)
    for person in people.values():
        await person.connect()
    mark = f"TYPED{uuid.uuid4().hex[:10]}"
    texts = await consult(people, mark)
    ana = people["Ana"]
    # Refused and malformed frames that carry typed text: the refusal is logged, the text not.
    refused = await ana.send("add_contribution", kind="idea", text=f"{mark}-bad-kind")
    assert refused["type"] == "error"
    await ana.send_raw({"type": f"{mark}-unknown", "cid": "x-1"})
    for person in people.values():
        await person.close()
    await asyncio.to_thread(json_server.stop)

    log = "".join(json_server.output)
    assert len(texts) > 15
    assert mark not in log, [line for line in log.splitlines() if mark in line]
    lines = _lines(json_server)
    assert lines, log
    banner = {"Codev", "Open", "It", "http://", "="}
    unstructured = [line for line in log.splitlines() if line.strip() and not line.startswith("{")]
    strays = [line for line in unstructured if not line.split()[0].startswith(tuple(banner))]
    assert strays == []
    closed = [x for x in lines if x["message"] == "connection closed"]
    assert {x["member_id"] for x in closed} == {p.member_id for p in people.values()}
    assert all(x["meeting_id"] == meeting_id for x in closed)
    refusals = [x for x in lines if x["message"] == "refused"]
    wrong_stage = next(x for x in refusals if x["code"] == "wrong_stage")
    assert wrong_stage["meeting_id"] == meeting_id
    assert wrong_stage["member_id"] == ana.member_id
    assert wrong_stage["cid"]
    assert {"invalid_message", "unknown_type"} & {str(x["code"]) for x in refusals}


async def test_access_lines_show_no_invite_token(json_server: LiveServer) -> None:
    scheduled = await asyncio.to_thread(schedule, json_server)
    scheduled.org.close()
    invite = scheduled.invites["Ana"]
    token = invite.rsplit("/", 1)[1]
    await asyncio.to_thread(httpx.get, f"{json_server.url}/invite/{token}-not-a-token")
    await asyncio.to_thread(json_server.stop)

    log = "".join(json_server.output)
    assert token not in log
    access = [x for x in _lines(json_server) if x["logger"] == "uvicorn.access"]
    assert any("/invite/***" in str(x["message"]) for x in access), access
    assert any("/setup" in str(x["message"]) for x in access)  # the others are still there


def _record(message: str, **fields: object) -> logging.LogRecord:
    record = logging.LogRecord("app.api.ws", logging.INFO, __file__, 1, message, None, None)
    record.__dict__.update(fields)
    return record


def test_text_lines_are_readable_with_their_fields_after_the_message() -> None:
    record = _record("refused", meeting_id="m1", member_id="a1", cid="c1", code="wrong_stage")
    line = TextFormatter().format(record)
    assert line.endswith(
        "INFO app.api.ws: refused meeting_id=m1 member_id=a1 cid=c1 code=wrong_stage"
    )
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", line)


def test_json_lines_carry_the_fields_as_keys() -> None:
    record = _record("connection closed", meeting_id="m1", member_id="a1", seconds=2.5)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "connection closed"
    assert (entry["meeting_id"], entry["member_id"], entry["seconds"]) == ("m1", "a1", 2.5)
    assert entry["level"] == "info"


def test_secrets_in_paths_are_masked_whoever_logs_them() -> None:
    record = _record('%s - "GET %s HTTP/1.1" %d')
    record.args = ("127.0.0.1:5", "/invite/abcDEF123?x=1", 303)
    Redact().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /invite/***?x=1 HTTP/1.1" 303'


def test_a_calendar_feed_token_is_masked_in_access_lines() -> None:
    assert redact("GET /calendar/Zx9-secret.ics HTTP/1.1") == "GET /calendar/*** HTTP/1.1"
    shown = _record('"WebSocket /ws/meetings/m1?since=4&display=KEY42" [accepted]')
    Redact().filter(shown)
    assert shown.getMessage() == '"WebSocket /ws/meetings/m1?since=4&display=***" [accepted]'
