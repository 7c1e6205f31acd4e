"""The hub's side of an access change: hold the sockets in scope, decide again, release or cut.

Real database rows and the real decision (``app.access``); the sockets are the recording fakes
of ``test_gap_fill``, so the order of what each one is sent can be checked exactly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access import Admitted, Credential, checker
from app.errors import AppError
from app.meetings import MeetingService
from app.realtime.broker import AccessChanged, InProcessBroker
from app.realtime.hub import Connection, Hub
from app.security import hash_token
from app.settings import Settings
from app.stages import ConsultationPlan, MeetingPlan, Participant, new_meeting
from app.stages import commands as c
from app.store import migrate
from app.store.db import create_engine, session_factory
from app.store.event_log import MeetingLog
from app.store.models import AuthSession, Group, Meeting, Member, Organizer, utcnow
from tests.realtime.test_gap_fill import Socket


class ClosingSocket(Socket):
    """Records the close code too."""

    def __init__(self) -> None:
        super().__init__()
        self.code: int | None = None
        self.closed = asyncio.Event()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.code = code
        self.closed.set()
        await super().close(code, reason)


@dataclass
class Setup:
    hub: Hub
    meetings: MeetingService
    meeting_id: str
    fac: str
    ana: str
    """Ana's member id; her session token is ``"ana-token"``."""
    sessions: async_sessionmaker[AsyncSession]
    gate: asyncio.Event
    """Decisions wait for this to be set: the test sees the hub while a decision is pending."""
    decisions: list[int]

    def credential(self) -> Credential:
        return Credential(hash_token(b"k", "ana-token"))

    async def sign_ana_out(self) -> None:
        async with self.sessions() as session:
            await session.exec(delete(AuthSession).where(col(AuthSession.member_id) == self.ana))
            await session.commit()


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="k", database_url="")
    migrate.upgrade(settings)
    engine = create_engine(settings)
    sessions = session_factory(engine)
    async with sessions() as session:
        organizer = Organizer(email="o@example.org", name="O", password_hash="x")
        group = Group(organizer_id=organizer.id, name="G")
        fac, ana = Member(group_id=group.id, name="Fatima"), Member(group_id=group.id, name="Ana")
        ben = Member(group_id=group.id, name="Ben")
        plan = MeetingPlan(
            facilitator=fac.id,
            participants={m.id: Participant(name=m.name) for m in (fac, ana, ben)},
            consultations=(ConsultationPlan(client=ana.id),),
        )
        row = Meeting(group_id=group.id, title="M", state="")
        row.state = new_meeting(row.id, plan).model_dump_json()
        signed_in = AuthSession(
            token_hash=hash_token(b"k", "ana-token"),
            member_id=ana.id,
            expires_at=utcnow() + timedelta(days=1),
        )
        for item in (organizer, group, fac, ana, ben, row, signed_in):
            session.add(item)
            await session.flush()
        await session.commit()
    decide = checker(sessions)
    gate = asyncio.Event()
    gate.set()
    decisions: list[int] = []

    async def gated(asks: Sequence[tuple[str, Credential]]) -> list[Admitted | AppError]:
        await gate.wait()
        decisions.append(len(asks))
        return await decide(asks)

    log = MeetingLog(engine)
    broker = InProcessBroker()
    meetings = MeetingService(log, broker)
    hub = Hub(settings, meetings, log, broker, gated)
    await broker.start(hub.on_publication, None, hub.on_access_changed)
    yield Setup(hub, meetings, row.id, fac.id, ana.id, sessions, gate, decisions)
    await hub.close()
    await log.close()
    await engine.dispose()


def _connection(setup: Setup, socket: Socket) -> Connection:
    return setup.hub.connection(
        socket,  # type: ignore[arg-type]
        setup.meeting_id,
        setup.ana,
        "Ana",
        {"group_id": None},
        credential=setup.credential(),
    )


async def _publish(setup: Setup) -> int:
    """An event of the facilitator's (a private note: Ana gets its redacted placeholder)."""
    note = c.AddPrivateNote(text="meanwhile")
    return (await setup.meetings.execute(setup.meeting_id, setup.fac, None, note)).seq


async def _closed(socket: ClosingSocket) -> int | None:
    await socket.closed.wait()
    return socket.code


async def test_a_held_socket_gets_nothing_until_it_is_allowed_again_then_everything(
    setup: Setup,
) -> None:
    socket = ClosingSocket()
    conn = _connection(setup, socket)
    await setup.hub.join(conn, since=None)
    await socket.wait_for('"type":"hello"')
    sent = len(socket.frames)
    setup.gate.clear()  # the decision stays pending until the test lets it through
    setup.hub.on_access_changed(AccessChanged("member", setup.ana))
    first, second = await _publish(setup), await _publish(setup)
    # A socket that is not held is sent these there and then (the fake's send never waits).
    assert socket.frames[sent:] == []  # held: nothing goes out while access is being decided
    setup.gate.set()
    await socket.wait_for(f'"seq":{second}')
    seqs = [json.loads(f).get("seq") for f in socket.frames[sent:]]
    assert seqs == [first, second]
    assert socket.code is None
    assert not conn.held


async def test_a_held_socket_refused_never_gets_what_was_published_meanwhile(
    setup: Setup,
) -> None:
    socket = ClosingSocket()
    conn = _connection(setup, socket)
    await setup.hub.join(conn, since=None)
    await socket.wait_for('"type":"hello"')
    sent = len(socket.frames)
    setup.gate.clear()
    await setup.sign_ana_out()
    setup.hub.on_access_changed(AccessChanged("member", setup.ana))
    await _publish(setup)
    setup.gate.set()
    assert await asyncio.wait_for(_closed(socket), 5) == 4401
    messages = [json.loads(f) for f in socket.frames[sent:]]
    assert [(m["type"], m["code"]) for m in messages] == [("error", "not_authenticated")]
    assert conn.stopped


async def test_a_socket_decided_just_before_an_access_change_is_decided_again_as_it_joins(
    setup: Setup,
) -> None:
    socket = ClosingSocket()
    conn = _connection(setup, socket)
    decided_at = setup.hub.access_epoch  # the handshake reads it, then decides: admitted
    # Meanwhile Ana is signed out, and the notice arrives before her socket is in its room.
    await setup.sign_ana_out()
    setup.hub.on_access_changed(AccessChanged("member", setup.ana))
    await setup.hub.join(conn, since=None, decided_at=decided_at)
    assert await asyncio.wait_for(_closed(socket), 5) == 4401
    assert [json.loads(f)["type"] for f in socket.frames] == ["error"]  # no hello, no state


async def test_a_sweep_decides_every_socket_in_a_few_reads_and_cuts_only_the_refused(
    setup: Setup,
) -> None:
    ana = ClosingSocket()
    conns = [_connection(setup, ana)]
    others = [ClosingSocket() for _ in range(3)]
    for socket in others:  # a display with a wrong key, then nothing else changes for it
        conns.append(
            setup.hub.connection(
                socket,  # type: ignore[arg-type]
                setup.meeting_id,
                "display",
                "Room display",
                {"group_id": None},
                display=True,
                credential=Credential("not the key", display=True),
            )
        )
    for conn in conns:
        await setup.hub.join(conn, since=None)
    await ana.wait_for('"type":"hello"')
    await setup.hub.decide_all()
    for socket in others:
        assert await asyncio.wait_for(_closed(socket), 5) == 4404
    assert ana.code is None
    assert setup.decisions == [4]  # one decision call for the four sockets
