"""The write path on real databases: compare-and-set, idempotent cids, stored event bytes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, select, text

from app.meetings import MeetingService
from app.realtime.broker import InProcessBroker, Publication
from app.settings import Settings
from app.stages import (
    ConsultationPlan,
    MeetingPlan,
    MeetingState,
    Participant,
    Stage,
    new_meeting,
)
from app.stages import commands as c
from app.stages.errors import StageMismatch, WrongStage
from app.store import migrate
from app.store.db import create_engine, session_factory
from app.store.event_log import SNAPSHOT_EVERY, MeetingLog, encode_audience
from app.store.models import Group, Meeting, MeetingEvent, Organizer, ProcessedCommand
from tests.databases import fresh_database

PEOPLE = {"fac": "Fatima", "cli": "Claire", "ana": "Ana", "ben": "Ben"}


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with fresh_database(request.param, tmp_path) as url:
        settings = Settings(_env_file=None, data_dir=tmp_path, database_url=url, secret_key="k")
        migrate.upgrade(settings)
        yield settings


class Process:
    """What one server process holds: its own engine, cache and broker."""

    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings)
        self.log = MeetingLog(self.engine)
        self.broker = InProcessBroker()
        self.published: list[Publication] = []
        self.service = MeetingService(self.log, self.broker)

    async def start(self, meeting_id: str) -> None:
        await self.broker.start(self.published.append)
        await self.broker.subscribe(meeting_id)


@pytest.fixture
async def processes(settings: Settings) -> AsyncIterator[list[Process]]:
    """Two server processes' worth of engine, cache and broker over the same database."""
    made = [Process(settings), Process(settings)]
    yield made
    for process in made:
        await process.log.close()
        await process.engine.dispose()


@pytest.fixture
def no_trace() -> bool:
    return False


@pytest.fixture
async def meeting_id(settings: Settings, no_trace: bool) -> AsyncIterator[str]:
    engine = create_engine(settings)
    plan = MeetingPlan(
        facilitator="fac",
        participants={k: Participant(name=v) for k, v in PEOPLE.items()},
        consultations=(ConsultationPlan(client="cli"),),
        no_trace=no_trace,
    )
    async with session_factory(engine)() as session:
        organizer = Organizer(email="o@example.org", name="O", password_hash="x")
        group = Group(organizer_id=organizer.id, name="G")
        meeting = Meeting(group_id=group.id, title="M", state="")
        meeting.state = new_meeting(meeting.id, plan).model_dump_json()
        for row in (organizer, group, meeting):  # parents first: no relationships to order them
            session.add(row)
            await session.flush()
        await session.commit()
        yield meeting.id
    await engine.dispose()


async def test_two_processes_racing_to_advance_the_stage_apply_it_once(
    processes: list[Process], meeting_id: str
) -> None:
    one, two = processes
    for process in (one, two):
        await process.start(meeting_id)
        await process.service.load(meeting_id)  # both caches warm at seq 0

    command = c.AdvanceStage(expected_stage=Stage.LOBBY)
    results = await asyncio.gather(
        one.service.execute(meeting_id, "fac", "click-1", command),
        two.service.execute(meeting_id, "fac", "click-2", command),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1
    assert isinstance(refused[0], StageMismatch)
    assert "already in presentation" in refused[0].message
    assert [p.deliveries[0].seq for p in one.published + two.published] == [1]
    state = await one.log.load(meeting_id)
    assert state is not None
    assert state.seq == 1
    assert state.stage is Stage.PRESENTATION


async def test_a_command_retried_with_its_cid_is_applied_once_even_on_another_process(
    processes: list[Process], meeting_id: str
) -> None:
    one, two = processes
    await one.start(meeting_id)
    await two.start(meeting_id)
    await one.service.execute(meeting_id, "fac", None, c.AdvanceStage(expected_stage=Stage.LOBBY))
    ask = c.SetCase(headline="Leading former peers", topic_type="problem")

    first = await one.service.execute(meeting_id, "cli", "same-cid", ask)
    retried = await two.service.execute(meeting_id, "cli", "same-cid", ask)

    assert (first.seq, first.duplicate) == (2, False)
    assert (retried.seq, retried.duplicate) == (2, True)
    assert len(two.published) == 0


async def test_stored_events_are_the_bytes_every_socket_received(
    processes: list[Process], meeting_id: str
) -> None:
    process = processes[0]
    await process.start(meeting_id)
    await process.service.execute(
        meeting_id, "fac", "a", c.AdvanceStage(expected_stage=Stage.LOBBY)
    )
    await process.service.execute(meeting_id, "ana", "b", c.AddPrivateNote(text="mine only"))

    async with process.engine.connect() as connection:
        query = select(MeetingEvent.seq, MeetingEvent.audience, MeetingEvent.payload)  # type: ignore[call-overload]
        stored = [tuple(row) for row in await connection.execute(query.order_by("seq"))]
    published = [
        (d.seq, encode_audience(d.audience), d.payload)
        for p in process.published
        for d in p.deliveries
    ]
    assert stored == published
    assert stored[1][1] == '["ana"]'
    replayed = await process.log.deliveries_after(meeting_id, 0)
    assert replayed[1].for_member("ben") == process.published[1].deliveries[0].for_member("ben")
    assert "mine only" not in replayed[1].for_member("ben")


@pytest.mark.parametrize("no_trace", [True])
async def test_a_no_trace_meeting_leaves_no_case_content_in_the_database_when_it_ends(
    processes: list[Process], meeting_id: str
) -> None:
    process = processes[0]
    await process.start(meeting_id)
    run = process.service.execute
    await run(meeting_id, "fac", "1", c.AdvanceStage(expected_stage=Stage.LOBBY))
    await run(meeting_id, "cli", "2", c.SetCase(headline="Secret headline", topic_type="problem"))
    await run(meeting_id, "ana", "3", c.AddPrivateNote(text="secret note"))
    await run(meeting_id, "fac", "4", c.EndMeeting(expected_stage=Stage.PRESENTATION))

    async with process.engine.connect() as connection:
        events = (await connection.execute(select(MeetingEvent.type))).scalars().all()  # type: ignore[call-overload]
        commands = (await connection.execute(select(ProcessedCommand.cid))).scalars().all()  # type: ignore[call-overload]
        state = (await connection.execute(select(Meeting.state))).scalar_one()  # type: ignore[call-overload]
    assert sorted(events) == ["content_purged", "stage_changed"]
    assert commands == []
    assert "Secret headline" not in state
    assert "secret note" not in state


async def test_a_meeting_reloaded_between_snapshots_has_every_contribution(
    processes: list[Process], meeting_id: str
) -> None:
    writer, reader = processes
    await writer.start(meeting_id)
    run = writer.service.execute
    await run(meeting_id, "fac", None, c.AdvanceStage(expected_stage=Stage.LOBBY))
    for n in range(SNAPSHOT_EVERY + 5):  # no stage change: only the seq moves on most writes
        await run(meeting_id, "ana", f"note-{n}", c.AddPrivateNote(text=f"note {n}"))

    async with writer.engine.connect() as connection:
        row = (await connection.execute(select(Meeting.state, Meeting.seq))).one()  # type: ignore[call-overload]
    snapshot = MeetingState.model_validate_json(row.state)
    assert snapshot.seq < row.seq  # the stored snapshot lags: the load folds the tail
    reloaded = await reader.service.load(meeting_id)
    assert reloaded.seq == row.seq == SNAPSHOT_EVERY + 6
    assert [note.text for note in reloaded.private_notes][-1] == f"note {SNAPSHOT_EVERY + 4}"
    assert reloaded.model_dump() == (await writer.service.current(meeting_id)).model_dump()


async def test_commands_to_many_meetings_at_once_all_land_in_order(
    processes: list[Process], meeting_id: str
) -> None:
    process, other = processes
    meetings = [meeting_id, *[await _another_meeting(process, meeting_id) for _ in range(19)]]
    for mid in meetings:
        await process.start(mid)
    for stage in (Stage.LOBBY, Stage.PRESENTATION):  # to the clarification questions
        advance = c.AdvanceStage(expected_stage=stage)
        await asyncio.gather(*(process.service.execute(m, "fac", None, advance) for m in meetings))

    outcomes = await asyncio.gather(
        *(
            process.service.execute(m, who, f"{who}-{n}", c.AskQuestion(text=f"{who} {n}?"))
            for n in range(3)
            for m in meetings
            for who in ("ana", "ben")
        )
    )

    assert not any(outcome.duplicate for outcome in outcomes)
    for mid in meetings:
        state = await other.service.load(mid)
        assert sorted(q.text for q in state.consultations[0].questions) == sorted(
            f"{who} {n}?" for n in range(3) for who in ("ana", "ben")
        )
        assert [d.seq for d in await process.log.deliveries_after(mid, 0)] == list(range(1, 9))


async def _another_meeting(process: Process, like: str) -> str:
    """A copy of meeting ``like`` (same group, same plan, in its lobby) under a new id."""
    async with session_factory(process.engine)() as session:
        original = await session.get(Meeting, like)
        assert original is not None
        meeting = Meeting(group_id=original.group_id, title="M", state="")
        plan = MeetingState.model_validate_json(original.state).plan
        meeting.state = new_meeting(meeting.id, plan).model_dump_json()
        session.add(meeting)
        await session.commit()
        return meeting.id


async def test_a_process_that_heard_the_others_events_writes_next_without_a_reload(
    processes: list[Process], meeting_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = processes
    for process in (one, two):
        await process.start(meeting_id)
        await process.service.load(meeting_id)  # both caches warm at seq 0
    await one.service.execute(meeting_id, "fac", None, c.AdvanceStage(expected_stage=Stage.LOBBY))
    for publication in one.published:  # what the broker carries to the other process
        two.service.observe(publication)
    reloads: list[str] = []
    locked = two.log.locked
    monkeypatch.setattr(two.log, "locked", lambda m: reloads.append(m) or locked(m))

    outcome = await two.service.execute(
        meeting_id, "cli", "case", c.SetCase(headline="Leading former peers", topic_type="problem")
    )

    assert outcome.seq == 2
    assert reloads == []  # decided on current state: no lost compare-and-set, no row lock
    stored = await one.log.load(meeting_id)
    assert stored is not None
    assert stored.consultations[0].case is not None


async def test_a_meeting_loaded_while_another_process_writes_is_whole_and_current(
    processes: list[Process], meeting_id: str
) -> None:
    writer, reader = processes
    await writer.start(meeting_id)
    start = c.AdvanceStage(expected_stage=Stage.LOBBY)
    await writer.service.execute(meeting_id, "fac", None, start)
    writing = True

    async def write() -> None:
        nonlocal writing
        for n in range(3 * SNAPSHOT_EVERY):
            await writer.service.execute(meeting_id, "ana", f"n{n}", c.AddPrivateNote(text=f"{n}"))
        writing = False

    async def read() -> list[int]:
        seen = []
        while writing:
            state = await reader.log.load(meeting_id)  # between snapshots: snapshot + tail
            assert state is not None
            assert len(state.private_notes) == state.seq - 1
            seen.append(state.seq)
        return seen

    _, seen = await asyncio.gather(write(), read())

    assert seen == sorted(seen)
    assert len(set(seen)) > 1


async def test_a_question_whose_sender_went_away_mid_write_is_stored_once(
    processes: list[Process], meeting_id: str
) -> None:
    process = processes[0]
    await _open_questions(process, meeting_id)
    ask = c.AskQuestion(text="Who decided on the reorganisation?")

    sending = asyncio.create_task(process.service.execute(meeting_id, "ana", "q-1", ask))
    await asyncio.sleep(0)  # the command is decided and waits for its transaction
    sending.cancel()  # its caller stopped waiting (the server shutting down, say)
    retried = await process.service.execute(meeting_id, "ana", "q-1", ask)

    assert retried.duplicate
    state = await processes[1].service.load(meeting_id)
    assert [q.text for q in state.consultations[0].questions] == [ask.text]


async def test_a_batch_with_one_stale_write_still_lands_every_command_once_in_order(
    processes: list[Process], meeting_id: str
) -> None:
    process, other = processes
    meetings = [meeting_id, *[await _another_meeting(process, meeting_id) for _ in range(3)]]
    for mid in meetings:
        await process.start(mid)
        await process.service.execute(mid, "fac", None, c.AdvanceStage(expected_stage=Stage.LOBBY))
    # The other process moves the first meeting on: this process's cache of it is now stale.
    await other.service.execute(
        meeting_id, "fac", None, c.AdvanceStage(expected_stage=Stage.PRESENTATION)
    )

    outcomes = await asyncio.gather(
        *(process.service.execute(m, "cli", f"case-{m}", _case(m)) for m in meetings[1:]),
        process.service.execute(meeting_id, "fac", "pause", c.PauseTimer()),
    )

    assert [o.seq for o in outcomes] == [2, 2, 2, 3]
    assert not any(o.duplicate for o in outcomes)
    for mid in meetings[1:]:
        state = await other.service.load(mid)
        assert state.consultations[0].case is not None
        assert state.consultations[0].case.headline == f"Case of {mid}"
    first = await other.service.load(meeting_id)
    assert (first.seq, first.stage) == (3, Stage.CLARIFICATION)
    assert first.timer is not None
    assert not first.timer.running


def _case(meeting_id: str) -> c.SetCase:
    return c.SetCase(headline=f"Case of {meeting_id}", topic_type="problem")


async def test_a_command_lands_after_the_database_dropped_the_writers_connection(
    processes: list[Process], meeting_id: str, settings: Settings
) -> None:
    if not settings.sqlalchemy_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    process = processes[0]
    await process.start(meeting_id)
    await process.service.execute(
        meeting_id, "fac", None, c.AdvanceStage(expected_stage=Stage.LOBBY)
    )
    async with process.engine.connect() as admin:  # what a database restart does to the pool
        await admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )

    outcome = await process.service.execute(meeting_id, "cli", "case", _case(meeting_id))

    assert (outcome.seq, outcome.duplicate) == (2, False)
    state = await processes[1].service.load(meeting_id)
    assert state.consultations[0].case is not None


async def test_a_question_re_sent_after_the_stage_moved_on_is_answered_as_a_duplicate(
    processes: list[Process], meeting_id: str
) -> None:
    process = processes[0]
    await _open_questions(process, meeting_id)
    ask = c.AskQuestion(text="How long have you led this team?")
    asked = await process.service.execute(meeting_id, "ana", "q-1", ask)
    await process.service.execute(
        meeting_id, "fac", None, c.AdvanceStage(expected_stage=Stage.CLARIFICATION)
    )

    # The ack was lost; the client re-sends once reconnected, now that questions are closed.
    re_sent = await process.service.execute(meeting_id, "ana", "q-1", ask)

    assert (re_sent.seq, re_sent.duplicate) == (asked.seq, True)
    with pytest.raises(WrongStage):
        await process.service.execute(meeting_id, "ana", "q-2", ask)


async def _open_questions(process: Process, meeting_id: str) -> None:
    """Listen to the meeting and walk it to the clarification questions."""
    await process.start(meeting_id)
    for stage in (Stage.LOBBY, Stage.PRESENTATION):
        await process.service.execute(meeting_id, "fac", None, c.AdvanceStage(expected_stage=stage))


async def test_a_batch_of_writes_to_many_meetings_costs_three_statements(
    processes: list[Process], meeting_id: str
) -> None:
    process = processes[0]
    meetings = [meeting_id, *[await _another_meeting(process, meeting_id) for _ in range(4)]]
    for mid in meetings:
        await process.start(mid)
        await process.service.execute(mid, "fac", None, c.AdvanceStage(expected_stage=Stage.LOBBY))
    statements: list[str] = []
    writer = process.log._writer  # the group commit's own engine

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(writer, "before_cursor_execute", count)
    try:
        await asyncio.gather(
            *(process.service.execute(m, "cli", f"case-{m}", _case(m)) for m in meetings)
        )
    finally:
        event.remove(writer, "before_cursor_execute", count)

    assert statements == ["INSERT", "UPDATE", "INSERT"]  # claims, compare-and-sets, events
