"""A publication this process never received reaches its sockets from one read of the log."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from starlette.websockets import WebSocketState

from app.meetings import MeetingService
from app.realtime.broker import InProcessBroker
from app.realtime.hub import Hub
from app.settings import Settings
from app.stages import ConsultationPlan, MeetingPlan, Participant, Stage, new_meeting
from app.stages import commands as c
from app.store import migrate
from app.store.db import create_engine, session_factory
from app.store.event_log import MeetingLog
from app.store.models import Group, Meeting, Organizer

PEOPLE = {"fac": "Fatima", "cli": "Claire", "ana": "Ana", "ben": "Ben"}


class Socket:
    """What the hub needs of a WebSocket: it records the frames sent to it."""

    client_state = application_state = WebSocketState.CONNECTED

    def __init__(self) -> None:
        self.frames: list[str] = []
        self._sent = asyncio.Event()

    async def send_text(self, text: str) -> None:
        self.frames.append(text)
        self._sent.set()

    async def wait_for(self, needle: str) -> None:
        while not any(needle in frame for frame in self.frames):
            self._sent.clear()
            await self._sent.wait()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.client_state = self.application_state = WebSocketState.DISCONNECTED


class CountingLog(MeetingLog):
    reads = 0

    async def deliveries_after(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return await super().deliveries_after(*args, **kwargs)


@pytest.fixture
async def meeting(tmp_path: Path) -> tuple[Settings, str]:
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="k", database_url="")
    migrate.upgrade(settings)
    engine = create_engine(settings)
    plan = MeetingPlan(
        facilitator="fac",
        participants={k: Participant(name=v) for k, v in PEOPLE.items()},
        consultations=(ConsultationPlan(client="cli"),),
    )
    async with session_factory(engine)() as session:
        organizer = Organizer(email="o@example.org", name="O", password_hash="x")
        group = Group(organizer_id=organizer.id, name="G")
        row = Meeting(group_id=group.id, title="M", state="")
        row.state = new_meeting(row.id, plan).model_dump_json()
        for item in (organizer, group, row):
            session.add(item)
            await session.flush()
        await session.commit()
    await engine.dispose()
    return settings, row.id


async def test_a_lost_publication_reaches_every_socket_of_the_room_from_one_read(
    meeting: tuple[Settings, str],
) -> None:
    settings, meeting_id = meeting
    # Two processes on one database, with no broker between them: every publication is lost.
    writer_engine, reader_engine = create_engine(settings), create_engine(settings)
    writer_log = MeetingLog(writer_engine)
    writer = MeetingService(writer_log, InProcessBroker())
    log = CountingLog(reader_engine)
    hub = Hub(settings, MeetingService(log, InProcessBroker()), log, InProcessBroker())
    sockets = {member: Socket() for member in ("cli", "ana", "ben")}
    for member, socket in sockets.items():
        conn = hub.connection(socket, meeting_id, member, PEOPLE[member], {})  # type: ignore[arg-type]
        await hub.join(conn, since=None)
    for socket in sockets.values():
        await socket.wait_for('"type":"hello"')
    watcher = asyncio.create_task(hub.watch_for_gaps(interval=0.05))
    try:
        await writer.execute(meeting_id, "fac", None, c.AdvanceStage(expected_stage=Stage.LOBBY))
        async with asyncio.timeout(5):
            for socket in sockets.values():
                await socket.wait_for('"type":"stage_changed"')
    finally:
        watcher.cancel()
        await writer_log.close()
        await log.close()
        await writer_engine.dispose()
        await reader_engine.dispose()

    for socket in sockets.values():
        assert '"type":"stage_changed"' in socket.frames[-1]
    assert log.reads == 1
