"""This process's live sockets, grouped by meeting, and the fan-out of published events.

Each socket has a bounded queue: the fan-out puts the same pre-serialised text on each queue and
sends it there and then while the socket takes it at once; a socket that makes a send wait gets
a task of its own that carries on, so a slow client cannot slow the others. A socket whose queue
overflows is closed; its client resumes with ``since``.

Access is decided again whenever it may have changed (``app.access``): an access-changed notice
holds the sockets in its scope at once (nothing more is sent to them, their commands wait) until
the database says whether they may stay; a periodic sweep re-decides every socket, in case Redis
dropped a notice. A refused socket gets one ``error`` and its close code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.types import Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from app import gc_policy
from app.access import Admitted, Credential, close_code
from app.errors import AppError, NotAuthenticated
from app.meetings import MeetingService
from app.realtime.broker import AccessChanged, Broker, Delivery, Publication
from app.realtime.eager import run_eagerly
from app.realtime.ratelimit import MemberBuckets
from app.realtime.socket_send import SCOPE_KEY
from app.realtime.wire import Error, Hello, Presence, PresenceEntry, You
from app.settings import Settings
from app.store.event_log import MeetingLog

log = logging.getLogger(__name__)

CLOSE_OVERFLOW = 1013  # "try again later": the client reconnects and resumes with since
CLOSE_SERVER_ERROR = 1011
REVIEW_CHUNK = 250
"""Sockets decided per database read in a sweep: small enough that deciding them (parsing their
meetings' plans) holds the event loop for a few milliseconds only."""

Decide = Callable[[Sequence[tuple[str, Credential]]], Awaitable[list[Admitted | AppError]]]
"""``app.access.decide`` on a fresh database session."""


@dataclass(frozen=True, slots=True)
class Greet:
    """Ask the writer to send ``hello`` (a snapshot, or a replay of what followed ``since``)."""

    since: int | None


@dataclass(frozen=True, slots=True)
class CatchUp:
    """Ask the writer to send what the log holds up to ``upto`` beyond what this socket has
    (a publication was lost)."""

    upto: int


@dataclass(frozen=True, slots=True)
class CloseAfter:
    """Close the socket once everything queued before it was sent (e.g. the refusals of a flood)."""

    code: int
    reason: str


Item = tuple[int, str] | Greet | CatchUp | CloseAfter
"""A queued item: (seq, text) for an event, (0, text) for an unsequenced message, or a request."""


@dataclass(slots=True)
class QueueDepth:
    """The most items one socket of this process ever had queued (for ``/metrics``)."""

    high_water: int = 0


@dataclass(eq=False)
class Connection:
    meeting_id: str
    member_id: str
    name: str
    meeting_info: dict[str, object]
    websocket: WebSocket
    send: Send
    """The server's ASGI send for this socket (``socket_send``): a frame without Starlette's
    wrappers. Accept, receive and close go through ``websocket``."""
    drain: Callable[[Connection], Coroutine[Any, Any, None]]
    """Sends what is queued, in order, then returns (``Hub.write``)."""
    limit: int
    """The most items queued before the socket is closed as too far behind."""
    queue: deque[Item] = field(default_factory=deque)
    sent: int | None = None
    """The last seq sent; None until ``hello`` went out (events before it are in the snapshot)."""
    display: bool = False
    """A room display (projector): read-only, sees what every participant sees."""
    credential: Credential | None = None
    """What the socket proved at its handshake (a hash), to decide its access again."""
    held: bool = False
    """True while its access is being decided again: nothing is sent, no command is run."""
    settled: asyncio.Event | None = None
    """Set when a hold ends (the socket may stay, or is being closed)."""
    draining: bool = False
    """True while the queue is being sent (``drain`` runs): pushes then only queue."""
    writer: asyncio.Task[None] | None = None
    """The task draining the queue when a send had to wait; None while nothing waits."""
    reader: asyncio.Task[Any] | None = None
    receiving: bool = False
    """True while the reader waits for the client's next frame."""
    closing: asyncio.Task[None] | None = None
    stopped: bool = False
    """True once the server gave up on this socket: nothing more is queued or sent."""
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the server closed this socket, or gave up trying: its reader stops then."""
    depth: QueueDepth = field(default_factory=QueueDepth)

    def push(self, item: Item) -> None:
        # No task waits on an idle socket: one starts when there is something to send and ends
        # when the queue is empty. Thousands of idle sockets then cost no pending futures for
        # the garbage collector to walk, and no memory for them.
        if self.stopped:
            return
        if len(self.queue) >= self.limit:
            # The writer may be stuck in a send to a client that stopped reading.
            self.stop(CLOSE_OVERFLOW, "too far behind; resume with since")
            return
        self.queue.append(item)
        if not self.draining and not self.held:
            # Sent right here while the socket takes it at once (the usual case); a task
            # carries on only if a send or a log read has to wait.
            self.draining = True
            self.writer = run_eagerly(self.drain(self))
        elif len(self.queue) > self.depth.high_water:  # only a socket that makes sends wait
            self.depth.high_water = len(self.queue)

    def send_text(self, text: str) -> Awaitable[None]:
        return self.send({"type": "websocket.send", "text": text})

    def hold(self) -> None:
        """Send nothing more until ``release`` (or ``refuse``)."""
        self.held = True
        if self.settled is None or self.settled.is_set():
            self.settled = asyncio.Event()

    def release(self) -> None:
        """Still allowed: send what was queued meanwhile, let commands run again."""
        self._unhold()
        if self.queue and not self.draining and not self.stopped:
            self.draining = True
            self.writer = run_eagerly(self.drain(self))

    def refuse(self, refusal: AppError) -> None:
        """Access ended: nothing queued goes out; one ``error``, then the refusal's close code."""
        if self.stopped:
            return  # being closed already
        self.stopped = True
        self.queue.clear()
        if self.writer is not None and self.writer is not asyncio.current_task():
            self.writer.cancel()
        self._unhold()
        text = Error(cid=None, code=refusal.code, message=refusal.message).model_dump_json()
        self.closing = asyncio.get_running_loop().create_task(
            self._last_word(text, close_code(refusal), refusal.message[:120])
        )

    def _unhold(self) -> None:
        """A reader waiting to run a command goes on (and sees ``stopped`` if it was cut)."""
        self.held = False
        if self.settled is not None:
            self.settled.set()

    async def _last_word(self, text: str, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.send_text(text), timeout=5)
        await self.close(code, reason, stop_reader=True)

    def stop(self, code: int, reason: str) -> None:
        """Send nothing more and close the socket (in the background); the client reconnects
        and resumes with since."""
        self.stopped = True
        self.queue.clear()
        if self.writer is not None and self.writer is not asyncio.current_task():
            self.writer.cancel()
        self._unhold()
        self.closing = asyncio.get_running_loop().create_task(
            self.close(code, reason, stop_reader=True)
        )

    async def close(self, code: int, reason: str, *, stop_reader: bool = False) -> None:
        # A client that stopped reading may never let the close frame out: give up after 5 s,
        # and then stop the reader too, which would otherwise wait for that client forever.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.websocket.close(code, reason), timeout=5)
        self.gone.set()
        if stop_reader and self.reader is not None and self.receiving:
            self.reader.cancel()  # only while it waits for a frame: never mid-command


@dataclass(eq=False)
class Room:
    meeting_id: str
    group_id: str | None = None
    connections: set[Connection] = field(default_factory=set)
    last_seq: int = 0
    """The highest seq this process has seen for the meeting (published, or read at a greet)."""
    filling: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while reading a gap from the log: the room's other sockets then reuse that read."""
    filled: tuple[Delivery, ...] = ()
    """The last gap read from the log (consecutive seqs), for the room's other sockets."""

    def from_filled(self, after: int, upto: int) -> list[Delivery] | None:
        """The deliveries ``after < seq <= upto`` if the last read holds them all."""
        if not self.filled or self.filled[0].seq > after + 1 or self.filled[-1].seq < upto:
            return None
        first = self.filled[0].seq
        return list(self.filled[after + 1 - first : upto + 1 - first])

    def presence(self) -> list[PresenceEntry]:
        counts = Counter(c.member_id for c in self.connections if not c.display)
        return [PresenceEntry(member_id=m, connections=n) for m, n in sorted(counts.items())]


def _closed(ws: WebSocket, exc: Exception) -> bool:
    """Whether a send failed only because the socket is closed: nothing went wrong here."""
    if isinstance(exc, WebSocketDisconnect | OSError):
        return True  # the client left (the server's send raises OSError for a lost client)
    if WebSocketState.DISCONNECTED in (ws.client_state, ws.application_state):
        return True  # closed while this was being sent
    # Closed by the server itself (a keepalive timeout) before Starlette heard of it.
    return isinstance(exc, RuntimeError) and "after sending 'websocket.close'" in str(exc)


class TooManyConnections(Exception):
    """Raised when a member already has the most sockets allowed in one meeting."""


class Hub:
    def __init__(
        self,
        settings: Settings,
        meetings: MeetingService,
        log: MeetingLog,
        broker: Broker,
        access: Decide | None = None,
    ) -> None:
        self._settings = settings
        self._meetings = meetings
        self._log = log
        self._broker = broker
        self._access = access
        self._rooms: dict[str, Room] = {}
        self.queue_depth = QueueDepth()
        self.gaps_filled = 0
        """Sockets caught up from the log after a lost publication (for ``/metrics``)."""
        self.access_epoch = 0
        """Counts access-changed notices: a handshake decided before one is decided again."""
        self._to_review: set[Connection] = set()
        self._reviewer: asyncio.Task[None] | None = None
        self.buckets = MemberBuckets(
            settings.frames_per_second,
            settings.frame_burst,
            settings.flood_close_after,
            settings.flood_window,
        )
        """Message limits per member: they hold across reconnects and parallel sockets."""

    def connection(
        self,
        websocket: WebSocket,
        meeting_id: str,
        member_id: str,
        name: str,
        meeting_info: dict[str, object],
        *,
        display: bool = False,
        credential: Credential | None = None,
    ) -> Connection:
        return Connection(
            meeting_id,
            member_id,
            name,
            meeting_info,
            websocket,
            send=websocket.scope.get(SCOPE_KEY, websocket.send),
            drain=self.write,
            limit=self._settings.socket_queue_size,
            display=display,
            depth=self.queue_depth,
            credential=credential,
        )

    # --- membership -----------------------------------------------------------------------------

    async def join(
        self, conn: Connection, since: int | None, decided_at: int | None = None
    ) -> None:
        """Add the socket to its meeting. ``decided_at`` is ``access_epoch`` as it was before
        its handshake was decided: if a notice arrived since, it is decided again first."""
        room = self._rooms.get(conn.meeting_id)
        if room is None:
            group_id = conn.meeting_info.get("group_id")
            room = Room(conn.meeting_id, group_id if isinstance(group_id, str) else None)
            self._rooms[conn.meeting_id] = room
            await self._broker.subscribe(conn.meeting_id)
        mine = sum(1 for c in room.connections if c.member_id == conn.member_id)
        if mine >= self._settings.sockets_per_member:
            raise TooManyConnections(f"you already have {mine} connections to this meeting")
        room.connections.add(conn)
        if decided_at is not None and decided_at != self.access_epoch:
            self._review([conn])
        conn.push(Greet(since))
        self._announce_presence(room)

    async def leave(self, conn: Connection) -> None:
        room = self._rooms.get(conn.meeting_id)
        if room is None or conn not in room.connections:
            return
        room.connections.discard(conn)
        self._to_review.discard(conn)
        if room.connections:
            self._announce_presence(room)
        else:
            del self._rooms[conn.meeting_id]
            await self._broker.unsubscribe(conn.meeting_id)
            if not self._rooms:
                gc_policy.collect_when_idle()  # nobody to keep waiting

    def _announce_presence(self, room: Room) -> None:
        text = Presence(online=room.presence()).model_dump_json()
        for conn in room.connections:
            conn.push((0, text))

    def counts(self) -> tuple[int, int]:
        """(meetings with a socket here, sockets here): read at a scrape, not kept per event."""
        return len(self._rooms), sum(len(room.connections) for room in self._rooms.values())

    def presence(self, meeting_id: str) -> list[PresenceEntry]:
        room = self._rooms.get(meeting_id)
        return room.presence() if room else []

    # --- fan-out --------------------------------------------------------------------------------

    def on_publication(self, publication: Publication) -> None:
        """Called by the broker for each commit: queue the same text on every socket."""
        self._meetings.observe(publication)
        room = self._rooms.get(publication.meeting_id)
        if room is None:
            return
        resnapshot = False
        for delivery in publication.deliveries:
            room.last_seq = max(room.last_seq, delivery.seq)
            resnapshot = resnapshot or delivery.resnapshot
            public = (delivery.seq, delivery.payload)
            audience = delivery.audience
            if audience is None:
                for conn in room.connections:
                    conn.push(public)
            else:
                assert delivery.redacted is not None
                hidden = (delivery.seq, delivery.redacted)
                for conn in room.connections:
                    conn.push(public if conn.member_id in audience else hidden)
        if resnapshot:  # what each may see of earlier content changed: a fresh view for all
            for conn in room.connections:
                conn.push(Greet(None))

    # --- one socket's writer --------------------------------------------------------------------

    async def write(self, conn: Connection) -> None:
        """Send queued items in order until the queue is empty, the socket closes or overflows."""
        ws = conn.websocket
        try:
            while conn.queue and not conn.held:
                item = conn.queue.popleft()
                if isinstance(item, Greet):
                    await self._greet(conn, item.since)
                    continue
                if isinstance(item, CatchUp):
                    await self._catch_up(conn, item.upto)
                    continue
                if isinstance(item, CloseAfter):
                    conn.stopped = True  # nothing more goes out on this socket
                    conn.queue.clear()
                    await conn.close(item.code, item.reason)
                    return
                seq, text = item
                if seq == 0:
                    await conn.send_text(text)
                    continue
                if conn.sent is None or seq <= conn.sent:
                    continue  # already in the snapshot or the replay
                if seq > conn.sent + 1 and not await self._catch_up(conn, seq - 1):
                    continue  # the gap stays open: the next event or gap check tries again
                await conn.send_text(text)
                conn.sent = seq
        except Exception as exc:
            conn.queue.clear()
            if _closed(ws, exc):
                return  # its reader sees the disconnect and leaves
            # Not the client's doing: close, so that it reconnects and resumes with since.
            log.exception("could not send to %s in meeting %s", conn.member_id, conn.meeting_id)
            conn.stop(CLOSE_SERVER_ERROR, "server error; resume with since")
        finally:
            conn.draining = False
            conn.writer = None

    async def _catch_up(self, conn: Connection, upto: int) -> bool:
        """Send the stored events up to ``upto`` this socket lacks; False if the log could not
        be read (an overloaded or unreachable database): the socket stays, the gap stays open."""
        if conn.sent is None or upto <= conn.sent:
            return True  # hello is still to come, with everything; or nothing is missing
        try:
            missed = await self._missed(conn.meeting_id, conn.sent, upto)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("could not read meeting %s's log to fill a gap: %s", conn.meeting_id, exc)
            return False
        self.gaps_filled += bool(missed)
        for delivery in missed:
            await conn.send_text(delivery.for_member(conn.member_id))
            conn.sent = delivery.seq
        if any(delivery.resnapshot for delivery in missed):
            conn.push(Greet(None))  # as the live fan-out would have
        return True  # even if short (purged history): the client sees the gap and resyncs

    async def _missed(self, meeting_id: str, after: int, upto: int) -> list[Delivery]:
        """The events ``after < seq <= upto`` from the log, read once for all the room's sockets
        that missed them (one query per room, not per socket, when a publication is lost)."""
        room = self._rooms.get(meeting_id)
        if room is None:
            return await self._log.deliveries_after(meeting_id, after, upto)
        async with room.filling:
            missed = room.from_filled(after, upto)
            if missed is None:
                missed = await self._log.deliveries_after(meeting_id, after, upto)
                room.filled = tuple(missed)
            return missed

    async def watch_for_gaps(self, interval: float) -> None:
        """Safety net for a lossy broker: compare each open meeting's stored seq with what this
        process has seen, and let its sockets catch up from the log when a publication was lost.

        An event stored at one check and still not seen at the next is lost; one merely on its
        way through the broker is not, so a busy broker does not turn into a flood of reads."""
        suspects: dict[str, int] = {}
        while True:
            await asyncio.sleep(interval)
            if not self._rooms:
                suspects.clear()
                continue
            stored = await self._log.current_seqs(list(self._rooms))
            for meeting_id, seq in stored.items():
                room = self._rooms.get(meeting_id)
                if room is None or seq <= room.last_seq:
                    suspects.pop(meeting_id, None)
                    continue
                lost = suspects.get(meeting_id, 0)
                suspects[meeting_id] = seq
                if lost > room.last_seq:
                    self._catch_up_room(room, lost)

    async def catch_up_all(self) -> None:
        """After the broker lost its link: every socket reads what it missed from the log."""
        if not self._rooms:
            return
        for meeting_id, seq in (await self._log.current_seqs(list(self._rooms))).items():
            room = self._rooms.get(meeting_id)
            if room is not None:
                self._catch_up_room(room, seq)

    @staticmethod
    def _catch_up_room(room: Room, upto: int) -> None:
        room.last_seq = max(room.last_seq, upto)
        for conn in room.connections:
            conn.push(CatchUp(upto))

    async def _greet(self, conn: Connection, since: int | None) -> None:
        room = self._rooms.get(conn.meeting_id)
        # The socket is in its room already: whatever is published after this state reaches it.
        state = await self._meetings.current(conn.meeting_id, room.last_seq if room else 0)
        replay: list[Delivery] | None = None
        behind = state.seq - since if since is not None else None
        if behind is not None and 0 <= behind <= self._settings.resume_window:
            replay = await self._missed(conn.meeting_id, since or 0, state.seq)
            if len(replay) != behind:  # purged history (no-trace): only a snapshot is whole
                replay = None
            elif any(delivery.resnapshot for delivery in replay):
                replay = None  # content sent before may no longer be the socket's to see
        role = "display" if conn.display else state.role_of(conn.member_id)
        assert role is not None, "only participants and displays get a connection"
        hello = Hello(
            you=You(member_id=conn.member_id, name=conn.name),
            role=role,
            server_time=self._meetings.now(),
            seq=state.seq,
            resumed=replay is not None,
            state=None if replay is not None else state.view_for(conn.member_id),
            meeting=conn.meeting_info,
            presence=self.presence(conn.meeting_id),
        )
        if room is not None:
            room.last_seq = max(room.last_seq, state.seq)
        await conn.send_text(hello.model_dump_json())
        for delivery in replay or ():
            await conn.send_text(delivery.for_member(conn.member_id))
        conn.sent = state.seq

    # --- access ---------------------------------------------------------------------------------

    def on_access_changed(self, notice: AccessChanged) -> None:
        """Called by the broker: hold the sockets in scope now, then decide each again."""
        self.access_epoch += 1
        if notice.scope == "meeting":
            room = self._rooms.get(notice.id)
            rooms = [room] if room is not None else []
        elif notice.scope == "group":
            rooms = [r for r in self._rooms.values() if r.group_id == notice.id]
        else:
            rooms = list(self._rooms.values())
        conns = [c for room in rooms for c in room.connections]
        if notice.scope == "member":
            conns = [c for c in conns if c.member_id == notice.id]
        else:
            for room in rooms:
                self._meetings.forget(room.meeting_id)  # its plan may have changed, or it is gone
        self._review(conns)

    def _review(self, conns: list[Connection]) -> None:
        for conn in conns:
            if conn.stopped or conn.credential is None:
                continue
            conn.hold()
            self._to_review.add(conn)
        if self._to_review and self._reviewer is None:
            self._reviewer = asyncio.get_running_loop().create_task(
                self._run_reviews(), name="access-review"
            )

    async def _run_reviews(self) -> None:
        try:
            while self._to_review:
                batch = [c for c in self._to_review if not c.stopped]
                self._to_review.clear()
                try:
                    decisions = await self._decide(batch)
                except (SQLAlchemyError, OSError) as exc:
                    # Held, not released: access is not granted on a guess. Tried again soon.
                    log.warning("could not decide access again (%s); retrying", exc)
                    self._to_review.update(c for c in batch if not c.stopped)
                    await asyncio.sleep(1)
                    continue
                except Exception:
                    # Not granted on a guess either: the clients reconnect, and their
                    # handshakes decide afresh.
                    log.exception("could not decide access again; closing the sockets held")
                    for conn in batch:
                        conn.stop(CLOSE_SERVER_ERROR, "server error; resume with since")
                    continue
                for conn, decision in zip(batch, decisions, strict=True):
                    if conn.stopped:
                        continue  # closed meanwhile (left, overflowed, or cut by a sweep)
                    if isinstance(decision, AppError):
                        conn.refuse(decision)
                    elif conn not in self._to_review:  # not held again meanwhile
                        conn.release()
        finally:
            # Cleared as the loop sees nothing left, in the same step: a later notice starts
            # a new task instead of waiting for one that has ended.
            self._reviewer = None

    async def _decide(self, conns: list[Connection]) -> list[Admitted | AppError]:
        """The access of each socket as the database says now; a socket admitted as someone
        else than it was (cannot happen today) is refused rather than trusted."""
        if not conns:
            return []
        assert self._access is not None, "a hub with sockets to review needs an access check"
        asks = [(c.meeting_id, c.credential) for c in conns if c.credential is not None]
        decisions = await self._access(asks)
        return [
            NotAuthenticated("your access changed: connect again")
            if isinstance(d, Admitted) and d.member_id != c.member_id
            else d
            for c, d in zip(conns, decisions, strict=True)
        ]

    async def sweep_access(self, interval: float) -> None:
        """Safety net for a lost notice (or an expired session): every ``interval`` seconds,
        decide every socket again; those refused are closed. Nobody is held meanwhile."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.decide_all()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("could not sweep access (%s); trying at the next sweep", exc)

    async def decide_all(self) -> None:
        conns = [
            c
            for room in list(self._rooms.values())
            for c in room.connections
            if not c.stopped and c.credential is not None
        ]
        for start in range(0, len(conns), REVIEW_CHUNK):
            batch = [c for c in conns[start : start + REVIEW_CHUNK] if not c.stopped]
            for conn, decision in zip(batch, await self._decide(batch), strict=True):
                if isinstance(decision, AppError) and not conn.stopped:
                    conn.refuse(decision)

    async def reconnected(self) -> None:
        """The broker lost its link: events and notices may have been missed meanwhile."""
        await self.catch_up_all()
        try:
            await self.decide_all()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("could not decide access after a reconnect (%s); the sweep will", exc)

    async def close(self) -> None:
        if self._reviewer is not None:
            self._reviewer.cancel()
        for room in list(self._rooms.values()):
            for conn in list(room.connections):
                if conn.websocket.client_state is WebSocketState.CONNECTED:
                    with contextlib.suppress(Exception):
                        await conn.websocket.close(1012, "server restarting")
        self._rooms.clear()
