"""A connection whose other end is gone (no close, no FIN: it just stops answering) leaves."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from pathlib import Path

import pytest

from tests.live import live_server
from tests.reliability.helpers import Json, Organizer

pytestmark = pytest.mark.slow

PING_INTERVAL = 0.5
PING_TIMEOUT = 0.5
LEAVES_WITHIN = 5.0
"""Seconds: interval + timeout is one; the rest is slack for a loaded CI machine."""


async def _upgrade_by_hand(
    host: str, port: int, path: str, cookie: str, origin: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open the WebSocket over a plain TCP connection and read the 101; nothing after."""
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n"
        f"Cookie: codev_session={cookie}\r\n"
        "\r\n"
    )
    writer.write(request.encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def test_a_dead_connection_leaves_presence_within_the_ping_timeout(tmp_path: Path) -> None:
    with live_server(
        tmp_path / "data",
        CODEV_WS_PING_INTERVAL=str(PING_INTERVAL),
        CODEV_WS_PING_TIMEOUT=str(PING_TIMEOUT),
    ) as server:
        org = await asyncio.to_thread(Organizer.bootstrap, server)
        group = await asyncio.to_thread(org.group, "Ghost circle", ["Claire", "Ana"])
        meeting = await asyncio.to_thread(org.meeting, group, client="Claire")
        people = await asyncio.to_thread(org.peers, group, meeting, ["Olivia", "Ana"])
        org.close()
        olivia, ana = people["Olivia"], people["Ana"]
        assert ana.cookie is not None
        await olivia.connect()

        def online(message: Json) -> set[str]:
            return {p["member_id"] for p in message["online"]}

        def ana_here(message: Json) -> bool:
            return message["type"] == "presence" and ana.member_id in online(message)

        def ana_gone(message: Json) -> bool:
            return message["type"] == "presence" and ana.member_id not in online(message)

        # Ana's socket: an upgrade done by hand, then silence. It never reads again, so it
        # never answers a ping.
        mark = len(olivia.messages)
        _reader, writer = await _upgrade_by_hand(
            "127.0.0.1",
            server.port,
            f"/ws/meetings/{meeting}",
            ana.cookie,
            server.url,
        )
        try:
            here = await olivia.wait_for(ana_here, start=mark)
            arrived = time.monotonic()
            after = next(i for i, m in enumerate(olivia.messages) if m is here) + 1
            left = await olivia.wait_for(ana_gone, within=LEAVES_WITHIN, start=after)
            print(f"\nthe dead connection left presence after {time.monotonic() - arrived:.2f} s")
            # The healthy socket, which answers pings, is still there.
            assert olivia.member_id in online(left)
            assert not olivia.closed.is_set()
            await olivia.post({"type": "ping", "cid": "still-here"})
            await olivia.wait_for(lambda m: m["type"] == "pong" and m["cid"] == "still-here")
        finally:
            writer.close()
            await asyncio.gather(writer.wait_closed(), return_exceptions=True)
        await olivia.close()
