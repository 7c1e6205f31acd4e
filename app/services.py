"""The long-lived objects of one server process, built by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.mail.outbox import Outbox
from app.meetings import MeetingService
from app.ops.metrics import Metrics
from app.realtime.broker import Broker
from app.realtime.hub import Hub
from app.settings import Settings
from app.store.tombstones import Tombstones


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: Broker
    meetings: MeetingService
    hub: Hub
    metrics: Metrics
    tombstones: Tombstones
    mail: Outbox
