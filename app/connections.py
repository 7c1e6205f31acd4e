"""Connections that say nothing cannot hold the server: each must send its request (or its
WebSocket handshake) within ``connect_timeout`` seconds, and past ``max_connections`` open
connections a new one is answered 503 at once and closed.

uvicorn's own ``limit_concurrency`` is not enough: it counts every open connection but checks
only plain HTTP requests (WebSocket upgrades skip it), answers in plain text, and nothing in
uvicorn closes a connection that never sends a first request, so silent ones pile up until
the process runs out of file descriptors. This is uvicorn's httptools protocol with both.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
from typing import ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.api.errors import error_body

_REFUSAL_BODY = json.dumps(
    error_body(
        "too_many_connections",
        "the server has too many open connections; try again in a few seconds",
    )
).encode()
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"content-type: application/json\r\n"
    b"retry-after: 5\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(_REFUSAL_BODY)).encode() + b"\r\n\r\n" + _REFUSAL_BODY
)


def raise_descriptor_limit() -> int:
    """Raise this process's soft limit of open files to its hard limit; the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def connection_cap(configured: int) -> int:
    """``configured``, or (0) the descriptor limit less a reserve for the database, the log
    and the connections being refused."""
    if configured:
        return configured
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return 0  # no cap
    return max(16, soft - max(64, soft // 8))


class GuardedHttp(HttpToolsProtocol):
    connect_timeout: ClassVar[float] = 5.0
    max_connections: ClassVar[int] = 0
    """0: no cap."""

    _deadline: asyncio.TimerHandle | None = None

    @classmethod
    def configured(cls, connect_timeout: float, max_connections: int) -> type[GuardedHttp]:
        attrs = {"connect_timeout": connect_timeout, "max_connections": max_connections}
        return type(cls.__name__, (cls,), attrs)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.max_connections and len(self.connections) > self.max_connections:
            # Answered before its request is read, and closed at once: a refused connection
            # holds no descriptor, so the process never runs out of them (under uvloop, libuv
            # then accepts and drops every waiting connection, legitimate ones included).
            transport.write(REFUSAL)
            transport.close()
            return
        self._deadline = self.loop.call_later(self.connect_timeout, self._too_slow)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # the next request on a kept-alive connection
            self._deadline = self.loop.call_later(self.connect_timeout, self._too_slow)

    def on_headers_complete(self) -> None:
        self._disarm()  # a whole request (or handshake): the app decides from here
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _too_slow(self) -> None:
        self._deadline = None
        self.transport.close()

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
