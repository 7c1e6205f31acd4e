"""Publications this process never received reach its sockets from the log, once per room."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.websockets import WebSocketState
from uvicorn.protocols.utils import ClientDisconnected

from app.meetings import MeetingService
from app.realtime.broker import InProcessBroker, Publication
from app.realtime.hub import Connection, Hub
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
        self.scope: dict[str, object] = {}  # no server's send in it: the hub uses ``send``

    async def send(self, message: dict[str, str]) -> None:
        self.frames.append(message["text"])
        self._sent.set()

    async def wait_for(self, needle: str) -> None:
        while not any(needle in frame for frame in self.frames):
            self._sent.clear()
            await self._sent.wait()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.client_state = self.application_state = WebSocketState.DISCONNECTED


class CountingLog(MeetingLog):
    reads = 0
    unreadable = False
    """While True, reading events fails as an overloaded database's pool would."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._reads_seen = asyncio.Event()

    async def wait_for_reads(self, count: int) -> None:
        while self.reads < count:
            self._reads_seen.clear()
            await self._reads_seen.wait()

    async def deliveries_after(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        self._reads_seen.set()
        if self.unreadable:
            raise SQLAlchemyTimeout("QueuePool limit reached")
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


@dataclass
class LossyPair:
    """Two processes on one database with no broker between them: every publication is lost
    to the second one, whose hub holds a socket per member."""

    writer: MeetingService
    hub: Hub
    log: CountingLog
    sockets: dict[str, Socket]
    connections: dict[str, Connection]


@pytest.fixture
async def lossy(meeting: tuple[Settings, str]) -> AsyncIterator[LossyPair]:
    settings, meeting_id = meeting
    writer_engine, reader_engine = create_engine(settings), create_engine(settings)
    writer_log, log = MeetingLog(writer_engine), CountingLog(reader_engine)
    hub = Hub(settings, MeetingService(log, InProcessBroker()), log, InProcessBroker())
    sockets = {member: Socket() for member in ("cli", "ana", "ben")}
    connections = {}
    for member, socket in sockets.items():
        conn = hub.connection(socket, meeting_id, member, PEOPLE[member], {})  # type: ignore[arg-type]
        connections[member] = conn
        await hub.join(conn, since=None)
    for socket in sockets.values():
        await socket.wait_for('"type":"hello"')
    watcher = asyncio.create_task(hub.watch_for_gaps(interval=0.05))
    yield LossyPair(MeetingService(writer_log, InProcessBroker()), hub, log, sockets, connections)
    watcher.cancel()
    await writer_log.close()
    await log.close()
    await writer_engine.dispose()
    await reader_engine.dispose()


async def test_a_lost_publication_reaches_every_socket_of_the_room_from_one_read(
    meeting: tuple[Settings, str], lossy: LossyPair
) -> None:
    _, meeting_id = meeting
    await lossy.writer.execute(meeting_id, "fac", None, c.AdvanceStage(expected_stage=Stage.LOBBY))
    async with asyncio.timeout(5):
        for socket in lossy.sockets.values():
            await socket.wait_for('"type":"stage_changed"')

    for socket in lossy.sockets.values():
        assert '"type":"stage_changed"' in socket.frames[-1]
    assert lossy.log.reads == 1


async def test_a_socket_stays_open_while_the_log_cannot_be_read_and_catches_up_after(
    meeting: tuple[Settings, str], lossy: LossyPair
) -> None:
    _, meeting_id = meeting
    lossy.log.unreadable = True
    await lossy.writer.execute(meeting_id, "fac", None, c.AdvanceStage(expected_stage=Stage.LOBBY))
    async with asyncio.timeout(5):
        await lossy.log.wait_for_reads(3)  # the gap check found the lost event, tried again
    assert all(s.client_state is WebSocketState.CONNECTED for s in lossy.sockets.values())
    assert not any('"stage_changed"' in f for s in lossy.sockets.values() for f in s.frames)

    lossy.log.unreadable = False
    await lossy.writer.execute(
        meeting_id, "cli", None, c.SetCase(headline="H", topic_type="problem")
    )

    async with asyncio.timeout(5):
        for socket in lossy.sockets.values():
            await socket.wait_for('"type":"case_set"')
    for socket in lossy.sockets.values():
        events = [f for f in socket.frames if '"seq":' in f and '"type":"hello"' not in f]
        assert len(events) == 2  # the lost event, then the new one: in order, no gap
        assert '"seq":1' in events[0]
        assert '"seq":2' in events[1]


async def test_an_idle_socket_has_no_writer_task(lossy: LossyPair) -> None:
    for conn in lossy.connections.values():
        assert not conn.queue
        assert conn.writer is None


async def test_a_client_gone_mid_fan_out_is_dropped_quietly_and_the_others_get_the_event(
    lossy: LossyPair, caplog: pytest.LogCaptureFixture
) -> None:
    async def vanished(message: dict[str, str]) -> None:
        raise ClientDisconnected  # what the server's send raises for a client that went away

    lossy.connections["ana"].send = vanished  # type: ignore[assignment]
    publication = await _first_stage_change(lossy)

    lossy.hub.on_publication(publication)  # as the broker would

    for member in ("cli", "ben"):
        await lossy.sockets[member].wait_for('"type":"stage_changed"')
    ana = lossy.connections["ana"]
    assert not ana.queue
    assert not ana.stopped  # no 1011 "server error": its reader sees the disconnect and leaves
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_fan_out_to_sockets_that_take_frames_at_once_sends_in_place_without_tasks(
    lossy: LossyPair,
) -> None:
    publication = await _first_stage_change(lossy)

    lossy.hub.on_publication(publication)  # as the broker would

    # Already sent when the fan-out returns: no task was needed, and none is left.
    for member, socket in lossy.sockets.items():
        assert '"type":"stage_changed"' in socket.frames[-1]
        assert lossy.connections[member].writer is None


async def _first_stage_change(lossy: LossyPair) -> Publication:
    """The meeting's first stage change, stored, as the broker would hand it to the hub."""
    meeting_id = lossy.connections["ana"].meeting_id
    await lossy.writer.execute(meeting_id, "fac", None, c.AdvanceStage(expected_stage=Stage.LOBBY))
    return Publication(meeting_id, tuple(await lossy.log.deliveries_after(meeting_id, 0)))
