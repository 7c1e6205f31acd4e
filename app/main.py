"""The FastAPI application: wiring only. ``create_app(settings)`` builds a fresh app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import access, gc_policy, retention
from app.api import errors as api_errors
from app.api import ws
from app.api.body_limit import BodyLimit
from app.api.openapi import document
from app.api.routes import ROUTERS
from app.api.throttle import Guard, RefuseBlockedAddresses
from app.first_run import announce_setup_link
from app.mail import meetings as meeting_mail
from app.mail.outbox import Outbox
from app.meetings import MeetingService
from app.ops import health
from app.ops import metrics as ops_metrics
from app.realtime.broker import create_broker
from app.realtime.hub import Hub
from app.realtime.socket_send import KeepSocketSend
from app.services import Services
from app.settings import Settings
from app.store import migrate
from app.store.db import create_engine, session_factory
from app.store.event_log import MeetingLog
from app.store.tombstones import Tombstones

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    metrics = ops_metrics.Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(migrate.upgrade, settings)
        engine = create_engine(settings)
        sessions = session_factory(engine)
        broker = create_broker(settings)
        log = MeetingLog(engine)
        log.on_batch = metrics.group_commit
        tombstones = Tombstones(settings.data_dir)
        meetings = MeetingService(log, broker, tombstones=tombstones)
        hub = Hub(settings, meetings, log, broker, access.checker(sessions))
        await broker.start(
            metrics.timed(hub.on_publication), hub.reconnected, hub.on_access_changed
        )
        mail = Outbox(settings, sessions)
        services = Services(
            settings,
            engine,
            sessions,
            broker,
            meetings,
            hub,
            metrics=metrics,
            tombstones=tombstones,
            mail=mail,
        )
        metrics.watch(services)
        app.state.services = services
        app.state.guard = guard = Guard(settings)
        await announce_setup_link(services)
        background = [
            # Notices can be dropped by Redis, and sessions expire: every socket is re-decided.
            asyncio.create_task(hub.sweep_access(settings.access_sweep_seconds)),
            asyncio.create_task(
                retention.run_periodically(sessions, meetings, settings.retention_interval)
            ),
        ]
        if settings.redis_url:  # pub/sub may drop messages: converge within a second anyway
            background.append(asyncio.create_task(hub.watch_for_gaps(interval=1.0)))
        gc_policy.install()  # GC pauses, not CPU, set the tail at thousands of sockets
        mail.start(lambda: meeting_mail.remind_due(mail))
        try:
            yield
        finally:
            await mail.close()
            for task in background:
                task.cancel()
            # Waited for before the engine goes: a task cancelled mid-query must not leave a
            # connection behind.
            await asyncio.gather(*background, return_exceptions=True)
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
    app.state.metrics = metrics
    app.add_middleware(ops_metrics.HttpMetrics, metrics=metrics)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RefuseBlockedAddresses)  # a flood of refused sign-ins costs little
    app.add_middleware(KeepSocketSend)  # outermost: the server's own send, for the hub
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(ws.router)
    app.include_router(health.router)
    app.include_router(ops_metrics.router)
    document(app)
    app.mount("/", StaticFiles(directory=FRONTEND, html=True), name="frontend")
    return app
