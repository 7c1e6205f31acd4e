"""Request bodies over a limit are refused with 413 before they are read.

A declared ``Content-Length`` over the limit is answered at once, before any route runs; a
body without one (chunked) is counted as it arrives and answered as soon as it passes the
limit. Either way the rest is never read into memory.
"""

from __future__ import annotations

import contextlib

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_body

DISCONNECT: Message = {"type": "http.disconnect"}


class BodyLimit:
    """Pure ASGI middleware: HTTP request bodies of at most ``max_bytes``.

    Past the limit it answers 413 itself, then tells the app the client left (so it stops
    reading) and drops whatever the app answers instead: it works wherever it sits in the
    middleware stack, whatever the app does with errors raised while it reads.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return DISCONNECT
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    return DISCONNECT
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception:
            if not refused:
                raise  # the app's own error; a refused request's ends here

    async def _refuse(self, send: Send) -> None:
        message = f"the request body is larger than {self.max_bytes} bytes"
        response = JSONResponse(
            error_body("too_large", message),
            status_code=413,
            # So the server does not read the rest of the body to reach a next request.
            headers={"Connection": "close"},
        )
        with contextlib.suppress(OSError):
            await response({"type": "http"}, _nothing, send)


async def _nothing() -> Message:
    return DISCONNECT
