"""The server's own ASGI ``send`` for each WebSocket, kept in its scope for the hub.

A fan-out sends every event to every socket; through Starlette's ``WebSocket.send_text`` each send
passes three wrappers (state checks, exception handling) that matter for HTTP responses, not for
a text frame on an accepted socket. The hub sends frames with the server's ``send`` directly:
accept, receive and close still go through Starlette, which keeps the socket's state.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

SCOPE_KEY = "codev.send"


class KeepSocketSend:
    """Pure ASGI middleware: puts the ``send`` it was given into a WebSocket's scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SCOPE_KEY] = send
        await self.app(scope, receive, send)
