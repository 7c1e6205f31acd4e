"""The FastAPI application: wiring only. ``create_app(settings)`` builds a fresh app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import gc_policy
from app.api import errors as api_errors
from app.api import ws
from app.api.body_limit import BodyLimit
from app.api.routes import ROUTERS
from app.api.throttle import Guard, RefuseBlockedAddresses
from app.first_run import announce_setup_link
from app.meetings import MeetingService
from app.realtime.broker import create_broker
from app.realtime.hub import Hub
from app.realtime.socket_send import KeepSocketSend
from app.services import Services
from app.settings import Settings
from app.store import migrate
from app.store.db import create_engine, session_factory
from app.store.event_log import MeetingLog

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(migrate.upgrade, settings)
        engine = create_engine(settings)
        sessions = session_factory(engine)
        broker = create_broker(settings)
        log = MeetingLog(engine)
        meetings = MeetingService(log, broker)
        hub = Hub(settings, meetings, log, broker)
        await broker.start(hub.on_publication, hub.catch_up_all)
        services = Services(settings, engine, sessions, broker, meetings, hub)
        app.state.services = services
        app.state.guard = guard = Guard(settings)
        await announce_setup_link(services)
        watcher = None
        if settings.redis_url:  # pub/sub may drop messages: converge within a second anyway
            watcher = asyncio.create_task(hub.watch_for_gaps(interval=1.0))
        gc_policy.install()  # GC pauses, not CPU, set the tail at thousands of sockets
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
            await hub.close()
            guard.close()
            await broker.close()
            await log.close()
            await engine.dispose()
            gc_policy.uninstall()

    app = FastAPI(
        title="Codev",
        summary="Real-time facilitation server for professional co-development groups",
        version="0.1.0",
        lifespan=lifespan,
    )
    api_errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RefuseBlockedAddresses)  # a flood of refused sign-ins costs little
    app.add_middleware(KeepSocketSend)  # outermost: the server's own send, for the hub
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(ws.router)
    app.mount("/", StaticFiles(directory=FRONTEND, html=True), name="frontend")
    return app
