"""A small protocol client and REST helpers for end-to-end tests against a live server."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.live import LiveServer


def bootstrap_organizer(server: LiveServer, email: str = "org@example.org") -> httpx.Client:
    """Use the printed setup link to create the first organizer; returns a signed-in client."""
    token = parse_qs(urlparse(server.setup_link()).query)["token"][0]
    client = httpx.Client(base_url=server.url, timeout=10)
    response = client.post(
        "/api/setup",
        json={
            "token": token,
            "email": email,
            "name": "Olivia Organizer",
            "password": "a long password",
        },
    )
    assert response.status_code in (200, 201), response.text
    return client


def session_cookie_for_invite(server: LiveServer, invite_url: str) -> str:
    """Open an invite link like a browser would and return the session cookie it sets."""
    path = urlparse(invite_url).path
    response = httpx.get(server.url + path, follow_redirects=False, timeout=10)
    assert response.status_code in (302, 303, 307), response.text
    cookie = response.cookies.get("codev_session")
    assert cookie, "the invite link set no session cookie"
    return cookie


@dataclass
class Participant:
    """One person's socket: sends commands with fresh cids, records every message received."""

    name: str
    member_id: str
    cookie: str
    server: LiveServer
    meeting_id: str
    ws: ClientConnection | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    hello: dict[str, Any] | None = None
    _reader: asyncio.Task[None] | None = None
    _waiters: list[tuple[Any, asyncio.Future[dict[str, Any]]]] = field(default_factory=list)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [m for m in self.received if "seq" in m and m["type"] not in ("hello", "ack")]

    @property
    def last_seq(self) -> int:
        seqs = [m["seq"] for m in self.events]
        if self.hello is not None:
            seqs.append(self.hello["seq"] if not self.hello["resumed"] else 0)
        return max(seqs, default=0)

    async def connect(self, since: int | None = None) -> dict[str, Any]:
        assert self.ws is None, "close the previous socket first (or use another Participant)"
        url = f"{self.server.ws_url}/ws/meetings/{self.meeting_id}"
        if since is not None:
            url += f"?since={since}"
        self.ws = await connect(
            url,
            additional_headers={"Cookie": f"codev_session={self.cookie}"},
            origin=self.server.url,  # type: ignore[arg-type]
        )
        start = len(self.received)
        self._reader = asyncio.create_task(self._read(self.ws))
        hello = await self.wait_for(lambda m: m["type"] == "hello", start=start)
        self.hello = hello
        return hello

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            message = json.loads(raw)
            self.received.append(message)
            for predicate, future in list(self._waiters):
                if not future.done() and predicate(message):
                    future.set_result(message)
                    self._waiters.remove((predicate, future))

    async def wait_for(self, predicate: Any, within: float = 10, start: int = 0) -> dict[str, Any]:
        """The first message from index ``start`` on that matches, waiting up to ``within`` s."""
        for message in self.received[start:]:
            if predicate(message):
                return message
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        return await asyncio.wait_for(future, within)

    async def wait_seq(self, seq: int, within: float = 10) -> None:
        await self.wait_for(lambda m: m["type"] != "hello" and m.get("seq", 0) >= seq, within)

    async def send(self, type_: str, **fields: Any) -> dict[str, Any]:
        """Send a command and return the server's answer to it (ack or error)."""
        cid = uuid.uuid4().hex
        return await self.send_raw({"type": type_, "cid": cid, **fields})

    async def send_raw(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.ws is not None
        cid = message.get("cid")
        start = len(self.received)
        await self.ws.send(json.dumps(message))
        return await self.wait_for(
            lambda m: m["type"] in ("ack", "error") and m.get("cid") == cid, start=start
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        self.ws = None
