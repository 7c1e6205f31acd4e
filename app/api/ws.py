"""``/ws/meetings/{id}``: one socket per participant; commands up, events down.

The handshake checks the Origin (against cross-site WebSocket hijacking) and the session
cookie; the reader loop validates each frame and runs it through the write path, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect

from app import logs
from app.access import (
    CLOSE_POLICY,
    Admitted,
    Credential,
    admit,
    close_code,
    display_credential,
    session_credential,
)
from app.api.auth import SESSION_COOKIE
from app.errors import AppError
from app.meetings import Busy
from app.realtime.hub import CloseAfter, Connection, Greet, TooManyConnections
from app.realtime.wire import (
    Ack,
    CommandMessage,
    Error,
    Ping,
    Pong,
    Resync,
    WireError,
    parse_client_frame,
    valid_cid,
)
from app.services import Services
from app.stages import CommandRefused
from app.store.charter import charter_to_agree
from app.store.presence import record_presence

router = APIRouter()
log = logging.getLogger(__name__)

CHARTER_NOT_AGREED = "charter_not_agreed"
CHARTER_MESSAGE = "agree to the group's current charter before entering the meeting"
CLOSE_CHARTER = 4409
BUSY_MESSAGE = "the server is busy; send it again (it is applied once)"


@router.websocket("/ws/meetings/{meeting_id}")
async def meeting_socket(
    websocket: WebSocket,
    meeting_id: str,
    since: Annotated[int | None, Query(ge=0)] = None,
    display: Annotated[str | None, Query(max_length=100)] = None,
) -> None:
    services: Services = websocket.app.state.services
    origin = websocket.headers.get("origin")
    if origin is not None and origin.rstrip("/") not in services.settings.origins:
        logs.refused(log, meeting_id, None, None, "bad_origin")
        await websocket.close(CLOSE_POLICY, "origin not allowed")  # before accept: HTTP 403
        return
    # Read before deciding: a notice that arrives meanwhile makes the hub decide again.
    decided_at = services.hub.access_epoch
    credential = _credential(services, websocket, display)
    try:
        admitted = await _authenticate(services, meeting_id, credential)
    except AppError as exc:
        logs.refused(log, meeting_id, None, None, exc.code)
        await websocket.accept()
        error = Error(cid=None, code=exc.code, message=exc.message)
        await websocket.send_text(error.model_dump_json())
        await websocket.close(close_code(exc), exc.message[:120])
        return
    meeting = admitted.meeting
    if not admitted.display and await _charter_pending(services, meeting.group_id, admitted):
        logs.refused(log, meeting_id, admitted.member_id, None, CHARTER_NOT_AGREED)
        await websocket.accept()
        error = Error(cid=None, code=CHARTER_NOT_AGREED, message=CHARTER_MESSAGE)
        await websocket.send_text(error.model_dump_json())
        await websocket.close(CLOSE_CHARTER, "agree to the charter first")
        return

    info: dict[str, object] = {
        "id": meeting.id,
        "title": meeting.title,
        "video_url": meeting.video_url,
        "group_id": meeting.group_id,
    }
    conn = services.hub.connection(
        websocket,
        meeting_id,
        admitted.member_id,
        admitted.name,
        info,
        display=admitted.display,
        credential=credential,
    )
    await websocket.accept()
    if _flooding(services, meeting_id, conn.member_id):
        refusal = "you are sending too many messages; wait a few seconds and reconnect"
        await websocket.send_text(
            Error(cid=None, code="rate_limited", message=refusal).model_dump_json()
        )
        await websocket.close(CLOSE_POLICY, "too many messages")
        return
    try:
        await services.hub.join(conn, since, decided_at)
    except TooManyConnections as exc:
        logs.refused(log, meeting_id, conn.member_id, None, "too_many_connections")
        error = Error(cid=None, code="too_many_connections", message=str(exc))
        await websocket.send_text(error.model_dump_json())
        await websocket.close(CLOSE_POLICY, "too many connections")
        return
    if not admitted.display and meeting.stage != "ended":
        await _note_presence(services, meeting_id, conn.member_id)
    opened = time.monotonic()
    reader = conn.reader = asyncio.current_task()
    assert reader is not None
    try:
        await _read(services, conn)
    except WebSocketDisconnect:
        pass
    except asyncio.CancelledError:
        if not conn.gone.is_set():
            raise  # the server is stopping
        reader.uncancel()  # the hub closed this socket (overflow): a normal end
    finally:
        logs.connection_closed(log, meeting_id, conn.member_id, opened, conn.display)
        await services.hub.leave(conn)
        writer = conn.writer
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer


async def _charter_pending(services: Services, group_id: str, admitted: Admitted) -> bool:
    """True when the member has not agreed to the group's current charter (the room asks first:
    ``POST /api/meetings/{id}/charter/accept``). A new version does not cut open sockets."""
    async with services.sessions() as session:
        return await charter_to_agree(session, group_id, admitted.member_id) is not None


async def _note_presence(services: Services, meeting_id: str, member_id: str) -> None:
    """A fact attendance is proposed from; a failure to store it never keeps anyone out."""
    try:
        await record_presence(services.sessions, meeting_id, member_id)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("presence in meeting %s was not recorded: %s", meeting_id, exc)


def _credential(services: Services, websocket: WebSocket, display_key: str | None) -> Credential:
    """A display by its key, or a participant by their session cookie (kept hashed only)."""
    key = services.settings.key
    if display_key is not None:
        return display_credential(key, display_key)
    return session_credential(key, websocket.cookies.get(SESSION_COOKIE))


async def _authenticate(services: Services, meeting_id: str, credential: Credential) -> Admitted:
    async with services.sessions() as session:
        return await admit(session, meeting_id, credential)


def _flooding(services: Services, meeting_id: str, member_id: str) -> bool:
    """Whether a member who was flooding reconnects before they have an allowance again: they
    are refused before the hello and the presence update it would cost everyone (so a
    reconnect loop gets at most one hello per message they may send)."""
    at = time.monotonic()
    bucket = services.hub.buckets.of(meeting_id, member_id, at)
    return bucket.flooding(at) and bucket.empty(at)


async def _read(services: Services, conn: Connection) -> None:
    """Handle frames one at a time, so a client's commands apply in the order it sent them."""
    buckets = services.hub.buckets
    while True:
        message = await _receive(conn)
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        at = time.monotonic()
        # Looked up per frame: the member's bucket, whichever of their sockets this is.
        bucket = buckets.of(conn.meeting_id, conn.member_id, at)
        if not bucket.take(at):
            if bucket.flooding(at):
                # Through the queue, so the refusals already queued go out before the close.
                conn.push(CloseAfter(CLOSE_POLICY, "too many messages"))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(conn.gone.wait(), timeout=10)
                raise WebSocketDisconnect(CLOSE_POLICY)
            refusal = "too many messages; slow down and send it again"
            _reply(
                conn, Error(cid=_cid_of(message.get("text")), code="rate_limited", message=refusal)
            )
            continue
        text = message.get("text")
        if text is None:
            _reply(
                conn, Error(cid=None, code="invalid_message", message="send JSON as text frames")
            )
            continue
        try:
            parsed = parse_client_frame(text)
        except WireError as exc:
            _reply(conn, Error(cid=exc.cid, code=exc.code, message=exc.message))
            continue
        match parsed:
            case Ping():
                now = services.meetings.now()
                _reply(conn, Pong(cid=parsed.cid, server_time=now, client_time=parsed.client_time))
            case Resync():
                conn.push(Greet(parsed.since))
            case CommandMessage() if conn.display:
                refusal = "the room display only shows the meeting"
                _reply(conn, Error(cid=parsed.cid, code="forbidden", message=refusal))
            case CommandMessage():
                if conn.held and conn.settled is not None:
                    await conn.settled.wait()  # its access is being decided again
                if conn.stopped:  # access ended (or overflow): the hub is closing the socket
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(conn.gone.wait(), timeout=10)
                    raise WebSocketDisconnect(CLOSE_POLICY)
                await _execute(services, conn, parsed)


async def _receive(conn: Connection) -> Message:
    """The next frame. Once the hub gave up on this socket (overflow) it cancels this wait."""
    conn.receiving = True
    try:
        return await conn.websocket.receive()
    finally:
        conn.receiving = False


def _cid_of(text: str | None) -> str | None:
    """The cid of a refused frame, so the client knows which command to send again."""
    try:
        cid = json.loads(text or "").get("cid")
    except (ValueError, AttributeError, RecursionError):
        return None
    return valid_cid(cid)


async def _execute(services: Services, conn: Connection, message: CommandMessage) -> None:
    started, kind = time.perf_counter(), message.command.type
    try:
        outcome = await services.meetings.execute(
            conn.meeting_id, conn.member_id, message.cid, message.command
        )
    except (CommandRefused, AppError) as exc:
        _reply(conn, Error(cid=message.cid, code=exc.code, message=exc.message))
        services.metrics.command(kind, exc.code, started)
        return
    except (SQLAlchemyError, OSError) as exc:
        # An overloaded or unreachable database: the command may be sent again (same cid), so
        # it is an answer the client can act on, not a dropped socket.
        log.warning("command in meeting %s failed on the database: %s", conn.meeting_id, exc)
        _reply(conn, Error(cid=message.cid, code=Busy.code, message=BUSY_MESSAGE))
        services.metrics.command(kind, Busy.code, started)
        return
    _reply(conn, Ack(cid=message.cid, seq=outcome.seq, duplicate=outcome.duplicate))
    services.metrics.command(kind, "duplicate" if outcome.duplicate else "ack", started)


def _reply(conn: Connection, message: Ack | Error | Pong) -> None:
    if isinstance(message, Error):
        logs.refused(log, conn.meeting_id, conn.member_id, message.cid, message.code)
    conn.push((0, message.model_dump_json()))
