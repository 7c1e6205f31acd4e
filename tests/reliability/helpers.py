"""Helpers for the reliability tests: a REST organizer, and a protocol peer that keeps every
raw frame it receives with the time it arrived and the code its socket was closed with.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from app.stages import EVENT_ADAPTER, MeetingState, evolve
from tests.live import LiveServer
from tests.support import bootstrap_organizer, session_cookie_for_invite

Json = dict[str, Any]
Predicate = Callable[[Json], bool]

WITHIN = 10.0
"""Seconds any single wait may take before a test fails (no test sleeps for a fixed time)."""

UNSEQUENCED = frozenset({"hello", "ack", "error", "pong", "presence"})

OPEN: set[Peer] = set()
"""Peers with a socket open: a test that fails half-way leaves them to ``abort_all``."""


# --- REST: an organizer who sets up groups, members and meetings ---------------------------------


@dataclass
class Group:
    id: str
    facilitator_id: str
    """The organizer's own member row: they facilitate."""
    members: dict[str, str]
    """Name → member id."""


class Organizer:
    """The first organizer of a live server, signed in over REST."""

    def __init__(self, server: LiveServer, client: httpx.Client) -> None:
        self.server = server
        self.http = client
        self._cookies: dict[str, str] = {}

    @classmethod
    def bootstrap(cls, server: LiveServer) -> Organizer:
        return cls(server, bootstrap_organizer(server))

    @property
    def cookie(self) -> str:
        return str(self.http.cookies["codev_session"])

    def group(self, name: str, members: list[str]) -> Group:
        group = self.http.post("/api/groups", json={"name": name})
        assert group.status_code == 201, group.text
        group_id = group.json()["id"]
        ids = {}
        for member_name in members:
            made = self.http.post(f"/api/groups/{group_id}/members", json={"name": member_name})
            assert made.status_code == 201, made.text
            ids[member_name] = made.json()["id"]
        roster = self.http.get(f"/api/groups/{group_id}/members").json()
        facilitator = next(m["id"] for m in roster if m["is_facilitator"])
        return Group(group_id, facilitator, ids)

    def meeting(
        self,
        group: Group,
        *,
        client: str,
        scribe: str | None = None,
        participants: list[str] | None = None,
        title: str = "Reliability meeting",
    ) -> str:
        """A meeting with no openers: lobby, then the six stages of one consultation."""
        body: Json = {
            "title": title,
            "facilitator_id": group.facilitator_id,
            "consultations": [
                {
                    "client_id": group.members[client],
                    "scribe_id": group.members[scribe] if scribe else None,
                    "preset": "90",
                }
            ],
        }
        if participants is not None:
            named = [group.members[name] for name in participants]
            body["participant_ids"] = [group.facilitator_id, *named]
        made = self.http.post(f"/api/groups/{group.id}/meetings", json=body)
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def member_cookie(self, member_id: str) -> str:
        """The session cookie a member gets by opening a fresh invite link."""
        if member_id not in self._cookies:
            invite = self.http.post(f"/api/members/{member_id}/invite")
            assert invite.status_code in (200, 201), invite.text
            self._cookies[member_id] = session_cookie_for_invite(self.server, invite.json()["url"])
        return self._cookies[member_id]

    def peers(self, group: Group, meeting_id: str, names: list[str]) -> dict[str, Peer]:
        """One peer per name; "Olivia" is the organizer, who facilitates."""
        people = {}
        for name in names:
            if name == "Olivia":
                member_id, cookie = group.facilitator_id, self.cookie
            else:
                member_id = group.members[name]
                cookie = self.member_cookie(member_id)
            people[name] = Peer(self.server, meeting_id, cookie, member_id, name)
        return people

    def close(self) -> None:
        self.http.close()


# --- WebSocket: a peer that records everything ---------------------------------------------------


@dataclass(eq=False)
class Peer:
    """One socket of one person. Commands carry cids; every frame is kept with its arrival time."""

    server: LiveServer
    meeting_id: str
    cookie: str | None
    member_id: str = ""
    name: str = ""
    display_key: str | None = None
    """Set for a room display, which connects with its key instead of a cookie."""
    ws: ClientConnection | None = None
    frames: list[tuple[float, str]] = field(default_factory=list)
    """Every text frame received, raw, with ``time.monotonic()`` at its arrival."""
    messages: list[Json] = field(default_factory=list)
    arrivals: dict[int, float] = field(default_factory=dict)
    """When each event (by seq) first arrived, ``time.monotonic()``."""
    hello: Json | None = None
    close_code: int | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    listeners: list[Callable[[Json], None]] = field(default_factory=list)
    """Called with each message as it arrives."""
    _reader: asyncio.Task[None] | None = None
    _waiters: list[tuple[Predicate, asyncio.Future[Json]]] = field(default_factory=list)

    # --- connecting ---

    def url(self, since: int | None = None) -> str:
        query = [] if since is None else [f"since={since}"]
        if self.display_key is not None:
            query.append(f"display={self.display_key}")
        url = f"{self.server.ws_url}/ws/meetings/{self.meeting_id}"
        return f"{url}?{'&'.join(query)}" if query else url

    async def open(self, since: int | None = None, **options: Any) -> None:
        """Open the socket and start reading; nothing awaited from the server yet."""
        assert self.ws is None or self.closed.is_set(), "close the previous socket first"
        headers = {"Cookie": f"codev_session={self.cookie}"} if self.cookie else {}
        self.ws = await connect(
            self.url(since),
            additional_headers=headers,
            origin=Origin(self.server.url),
            open_timeout=WITHIN,
            **options,
        )
        self.closed = asyncio.Event()
        self.close_code = None
        self._reader = asyncio.create_task(self._read(self.ws))
        OPEN.add(self)

    async def connect(self, since: int | None = None, **options: Any) -> Json:
        """Open the socket and return its ``hello``."""
        start = len(self.messages)
        await self.open(since, **options)
        self.hello = await self.wait_for(lambda m: m["type"] == "hello", start=start)
        return self.hello

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
                now = time.monotonic()
                self.frames.append((now, text))
                message = json.loads(text)
                self.messages.append(message)
                if message["type"] not in UNSEQUENCED and "seq" in message:
                    self.arrivals.setdefault(message["seq"], now)
                for listener in self.listeners:
                    listener(message)
                for predicate, future in list(self._waiters):
                    if not future.done() and predicate(message):
                        future.set_result(message)
                        self._waiters.remove((predicate, future))
        except ConnectionClosed:
            pass
        finally:
            self.close_code = ws.close_code
            self.closed.set()
            OPEN.discard(self)
            for _predicate, future in self._waiters:
                if not future.done():
                    future.set_exception(ConnectionError(f"{self.name}: closed {ws.close_code}"))
            self._waiters.clear()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def abort(self) -> None:
        """Drop the connection at once (no closing handshake): for cleaning up after a failure."""
        if self.ws is not None:
            self.ws.transport.abort()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def wait_closed(self, within: float = WITHIN) -> int | None:
        await asyncio.wait_for(self.closed.wait(), within)
        return self.close_code

    # --- receiving ---

    async def wait_for(self, predicate: Predicate, within: float = WITHIN, start: int = 0) -> Json:
        """The first message from index ``start`` on that matches, waiting up to ``within`` s."""
        for message in self.messages[start:]:
            if predicate(message):
                return message
        if self.closed.is_set() and self.ws is not None:
            raise ConnectionError(f"{self.name}: closed {self.close_code}")
        future: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        try:
            return await asyncio.wait_for(future, within)
        finally:
            if (predicate, future) in self._waiters:
                self._waiters.remove((predicate, future))

    async def wait_until(self, condition: Callable[[], bool], within: float = WITHIN) -> None:
        """Wait until ``condition()`` holds, checking it as each message arrives."""
        if not condition():
            await self.wait_for(lambda _message: condition(), within, start=len(self.messages))

    async def wait_seq(self, seq: int, within: float = WITHIN) -> Json:
        return await self.wait_for(
            lambda m: m["type"] not in UNSEQUENCED and m.get("seq", 0) >= seq, within
        )

    @property
    def events(self) -> list[Json]:
        """Every meeting event received, on every connection, in order of arrival."""
        return [m for m in self.messages if m["type"] not in UNSEQUENCED and "seq" in m]

    @property
    def last_seq(self) -> int:
        """The last seq this peer has applied (snapshot or events)."""
        seqs = [m["seq"] for m in self.events]
        for message in self.messages:
            if message["type"] == "hello":
                seqs.append(message["seq"])
        return max(seqs, default=0)

    # --- sending ---

    async def post(self, message: Json) -> None:
        """Send one message without waiting for its answer."""
        assert self.ws is not None
        await self.ws.send(json.dumps(message))

    async def send_raw(self, message: Json, within: float = WITHIN) -> Json:
        """Send a command and return its answer (ack or error)."""
        cid = message.get("cid")
        start = len(self.messages)
        await self.post(message)
        return await self.answer(cid, within, start)

    async def send(self, type_: str, **fields: Any) -> Json:
        return await self.send_raw({"type": type_, "cid": uuid.uuid4().hex, **fields})

    async def answer(self, cid: str | None, within: float = WITHIN, start: int = 0) -> Json:
        return await self.wait_for(
            lambda m: m["type"] in ("ack", "error") and m.get("cid") == cid, within, start
        )


def acked(answer: Json) -> Json:
    assert answer["type"] == "ack", answer
    return answer


def refused(answer: Json, code: str) -> Json:
    assert answer["type"] == "error", answer
    assert answer["code"] == code, answer
    return answer


async def advance(facilitator: Peer, *stages: str) -> int:
    """Move the meeting on from each of ``stages`` in turn; the seq after the last move."""
    seq = 0
    for stage in stages:
        seq = acked(await facilitator.send("advance_stage", expected_stage=stage))["seq"]
    return int(seq)


def folded(hello: Json, events: list[Json]) -> MeetingState:
    """What a client holds: its snapshot with the events that followed folded in, in order."""
    assert hello["state"] is not None, "a snapshot hello"
    fields = {k: v for k, v in hello["state"].items() if k in MeetingState.model_fields}
    state = MeetingState.model_validate(fields)
    for event in events:
        if event["seq"] > state.seq:
            evolve(state, EVENT_ADAPTER.validate_python(event))
    return state


def cid() -> str:
    return uuid.uuid4().hex


async def abort_all() -> None:
    """Abort the peers left open in the running loop (those of other loops are not ours)."""
    loop = asyncio.get_running_loop()
    for peer in list(OPEN):
        if peer._reader is not None and peer._reader.get_loop() is loop:
            await peer.abort()
            OPEN.discard(peer)
