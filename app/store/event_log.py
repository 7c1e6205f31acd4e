"""The meeting event log: events, processed command ids and a state snapshot, written atomically.

``commit`` is the compare-and-set at the heart of the write path: it stores a command's events
only if the meeting's stored ``seq`` is still the one the command was decided on, in the same
transaction as the command's ``cid``. A loser of a race gets ``False`` and retries on fresh state.

Two things keep a write cheap enough for thousands of live participants per process:

* **Group commit.** Commits that arrive while a transaction is being written wait for the next
  one and share it: one transaction (and one lock on SQLite's single writer) for many meetings,
  instead of writers queueing for the database lock one by one.
* **Snapshots, not a state per write.** ``meeting.state`` is the state as of its own ``seq``,
  rewritten every ``SNAPSHOT_EVERY`` events and whenever the stage or plan changes; loading
  folds the few events stored after it. ``meeting.seq`` is the compare-and-set version and
  always moves.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    String,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col
from sqlmodel.sql.sqltypes import UTCDateTime

from app.realtime.broker import Delivery
from app.stages import EVENT_ADAPTER, Audience, MeetingState, Stage, changes_views, fold, redacted
from app.store.db import checkpoint_wal, writer_engine
from app.store.models import Meeting, MeetingEvent, ProcessedCommand, utcnow

SNAPSHOT_EVERY = 32
"""Events between two snapshots at most: a load folds fewer than this many (plus one command's)."""

MAX_BATCH = 256
"""Commits written in one transaction at most."""

WRITERS = {"sqlite": 1, "postgresql": 4}
"""Transactions in flight at once: SQLite has one writer; on PostgreSQL a batch spends most of
its time waiting for round trips, so a few run side by side (meetings locked in id order)."""

SNAPSHOT_EVENTS = frozenset({"stage_changed", "plan_changed", "client_chosen", "content_purged"})
"""Events after which the snapshot is rewritten at once: listings and the follow-up opener read
the stored stage and plan, and a no-trace purge must not leave content in the snapshot."""


VIEW_EVENTS = frozenset({"stage_changed", "record_shared"})
"""The only event types that may change what people see of earlier content (``resnapshot``)."""


def encode_audience(audience: Audience | None) -> str | None:
    """The ``audience`` column: NULL for the whole meeting, else a JSON list of member ids."""
    return None if audience is None else json.dumps(sorted(audience))


def decode_audience(column: str | None) -> Audience | None:
    return None if column is None else frozenset(json.loads(column))


def redact(payload: str) -> str:
    """What a member who may not see an event gets: its place in the sequence, nothing else."""
    return redacted(EVENT_ADAPTER.validate_json(payload)).model_dump_json()


class CorruptLog(RuntimeError):
    """The stored snapshot and events do not add up to the stored seq (never expected)."""


@dataclass(frozen=True, slots=True)
class Write:
    """One command's worth of changes to one meeting."""

    state: MeetingState
    expected_seq: int
    deliveries: Sequence[Delivery]
    event_types: Sequence[str]
    actor: str
    cid: str | None

    @property
    def snapshot_due(self) -> bool:
        return (
            self.state.seq // SNAPSHOT_EVERY != self.expected_seq // SNAPSHOT_EVERY
            or not SNAPSHOT_EVENTS.isdisjoint(self.event_types)
            or self.state.stage is Stage.ENDED
        )


class MeetingLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine  # Core statements on plain connections: no ORM in the hot path
        dialect = sqlite if engine.dialect.name == "sqlite" else postgresql
        # Built once: a statement made per write costs more in SQLAlchemy than in the database.
        # INSERT's rowcount is not reported by every driver (psycopg gives -1): RETURNING tells.
        self._claim_cid = (
            dialect.insert(ProcessedCommand)
            .on_conflict_do_nothing()
            .returning(col(ProcessedCommand.seq))
        )
        self._release_cid = delete(ProcessedCommand).where(
            col(ProcessedCommand.meeting_id) == bindparam("m"),
            col(ProcessedCommand.actor) == bindparam("a"),
            col(ProcessedCommand.cid) == bindparam("c"),
        )
        # One statement whether or not a snapshot is due (NULL keeps the stored one), so that a
        # batch moves all its meetings in one executemany, in id order.
        self._move = (
            update(Meeting)
            .where(col(Meeting.id) == bindparam("m"), col(Meeting.seq) == bindparam("expected"))
            .values(
                seq=bindparam("new"),
                state=func.coalesce(bindparam("state", type_=Text), col(Meeting.state)),
                stage=func.coalesce(bindparam("stage", type_=String), col(Meeting.stage)),
                ended_at=func.coalesce(
                    col(Meeting.ended_at), bindparam("ended", type_=UTCDateTime())
                ),
                purged_at=func.coalesce(
                    bindparam("purged", type_=UTCDateTime()), col(Meeting.purged_at)
                ),
            )
        )
        self._insert_events = insert(MeetingEvent)
        self._writers = WRITERS.get(engine.dialect.name, 1)
        self._writer = writer_engine(engine, self._writers)
        self._pending: list[tuple[Write, asyncio.Future[bool]]] = []
        self._flushers: set[asyncio.Task[None]] = set()
        self.on_batch: Callable[[int, float], None] = lambda size, seconds: None
        """Told each group-commit transaction's size and duration (``/metrics``)."""

    # --- reading --------------------------------------------------------------------------------

    async def load(self, meeting_id: str) -> MeetingState | None:
        async with self._engine.connect() as connection:
            return await self._read(connection, meeting_id, lock=False)

    @asynccontextmanager
    async def locked(self, meeting_id: str) -> AsyncIterator[tuple[AsyncConnection, MeetingState]]:
        """The stored state with its row locked (PostgreSQL ``FOR UPDATE``) until the block ends.

        For a writer that lost a compare-and-set: waiting its turn beats retrying against a
        busy process that keeps winning. (SQLite has one writer at a time anyway.)
        """
        async with self._engine.connect() as connection:
            state = await self._read(connection, meeting_id, lock=True)
            if state is None:
                raise LookupError(meeting_id)
            yield connection, state

    @staticmethod
    async def _read(
        connection: AsyncConnection, meeting_id: str, lock: bool
    ) -> MeetingState | None:
        query = select(col(Meeting.state), col(Meeting.seq)).where(col(Meeting.id) == meeting_id)
        row = (await connection.execute(query.with_for_update() if lock else query)).one_or_none()
        if row is None:
            return None
        text, seq = row
        state = MeetingState.model_validate_json(text)
        if state.seq == seq:
            return state
        tail = await connection.execute(
            select(col(MeetingEvent.payload))
            .where(
                col(MeetingEvent.meeting_id) == meeting_id,
                col(MeetingEvent.seq) > state.seq,
                # Bounded: on PostgreSQL (read committed) this statement also sees commits
                # made after the row was read.
                col(MeetingEvent.seq) <= seq,
            )
            .order_by(col(MeetingEvent.seq))
        )
        events = [EVENT_ADAPTER.validate_json(payload) for payload in tail.scalars()]
        if state.seq + len(events) != seq:
            raise CorruptLog(f"meeting {meeting_id}: snapshot {state.seq} + events ≠ {seq}")
        return fold(state, events)

    # --- writing --------------------------------------------------------------------------------

    async def commit(
        self,
        state: MeetingState,
        expected_seq: int,
        deliveries: Sequence[Delivery],
        event_types: Sequence[str],
        actor: str,
        cid: str | None,
        connection: AsyncConnection | None = None,
    ) -> bool:
        """Store ``state``'s new events if nobody else wrote since ``expected_seq``.

        Without ``connection`` the write joins the next group commit; with one (a row locked by
        ``locked``) it is written and committed there.
        """
        write = Write(state, expected_seq, deliveries, event_types, actor, cid)
        if connection is not None:
            stored = await connection.run_sync(self._write_all, [write])
            await connection.commit()
            if stored[0] and _purges(write):
                await self.checkpoint()
            return stored[0]
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((write, done))
        if len(self._flushers) < self._writers:
            flusher = asyncio.create_task(self._flush())
            self._flushers.add(flusher)
        # A caller that goes away (its socket closed) cancels only its own future: the write
        # stays in the batch, as it must once others may share its transaction.
        return await done

    async def _flush(self) -> None:
        """Write pending commits, a batch per transaction, until none are left."""
        batch: list[tuple[Write, asyncio.Future[bool]]] = []
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                started = time.perf_counter()
                results = await self._write_batch([write for write, _ in batch])
                self.on_batch(len(batch), time.perf_counter() - started)
                if any(r is True and _purges(w) for (w, _), r in zip(batch, results, strict=True)):
                    await self.checkpoint()  # before the acks: "ended" means gone from the files
                for (_, done), result in zip(batch, results, strict=True):
                    if done.cancelled():
                        continue  # its caller went away; the write itself is done
                    if isinstance(result, Exception):
                        done.set_exception(result)
                    else:
                        done.set_result(result)
        except BaseException as exc:  # cancelled at shutdown: nobody may wait forever
            for _, done in [*batch, *self._pending]:
                if not done.done():
                    done.set_exception(exc)
            self._pending = []
            raise
        finally:
            # Gone from the set the moment it saw nothing pending, not one loop turn later by a
            # done callback: a commit queued in between would find a flusher that never comes.
            self._flushers.discard(asyncio.current_task())

    async def _write_batch(self, writes: list[Write]) -> list[bool | Exception]:
        try:
            return list(await asyncio.to_thread(self._write_in_thread, writes))
        except Exception as exc:
            if len(writes) == 1:
                return [exc]
        # One bad write must not fail the others: write them one transaction each.
        results: list[bool | Exception] = []
        for write in writes:
            results.extend(await self._write_batch([write]))
        return results

    def _write_in_thread(self, writes: list[Write]) -> list[bool]:
        """Whether each write was stored, in the order given."""
        try:
            return self._write_once(writes)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            # The database restarted or dropped the pooled connection: SQLAlchemy has let go of
            # it, and a fresh one is made. (No pre-ping: a round trip per transaction.)
            return self._write_once(writes)

    def _write_once(self, writes: list[Write]) -> list[bool]:
        ordered = sorted(writes, key=_meeting_id)
        with self._writer.connect() as connection:
            if len(writes) > 1:
                if self._write_together(connection, ordered):
                    connection.commit()
                    return [True] * len(writes)
                connection.rollback()  # someone else wrote first: sort it out write by write
            stored = dict(zip(map(id, ordered), self._write_all(connection, ordered), strict=True))
            connection.commit()
        return [stored[id(write)] for write in writes]

    def _write_together(self, connection: Connection, writes: list[Write]) -> bool:
        """The whole batch in three statements (claims, moves, events) when every claim and
        every compare-and-set holds, as it does unless another process or a retry got there
        first; False then, and the caller rolls back.

        Meetings are updated in id order, so two processes' transactions lock rows in the same
        order and cannot deadlock.
        """
        claims = [_claim(write) for write in writes if write.cid is not None]
        if claims and len(connection.execute(self._claim_cid, claims).all()) != len(claims):
            return False
        if connection.execute(self._move, [_move(w) for w in writes]).rowcount != len(writes):
            return False
        for write in writes:
            _purge(connection, write)
        connection.execute(self._insert_events, [row for w in writes for row in _event_rows(w)])
        return True

    def _write_all(self, connection: Connection, writes: list[Write]) -> list[bool]:
        """Each write on its own, in meeting id order: some may fail their claim or their
        compare-and-set. Also the slow path's statements, on the async connection's sync face
        (``run_sync``)."""
        stored = [self._apply(connection, write) for write in writes]
        events = [
            row
            for write, ok in zip(writes, stored, strict=True)
            if ok
            for row in _event_rows(write)
        ]
        if events:
            connection.execute(self._insert_events, events)
        return stored

    def _apply(self, connection: Connection, write: Write) -> bool:
        meeting_id = write.state.meeting_id
        if (
            write.cid is not None
            and connection.execute(self._claim_cid, _claim(write)).first() is None
        ):
            return False  # applied before (another process, or a retry): the caller looks
        if connection.execute(self._move, _move(write)).rowcount != 1:
            if write.cid is not None:
                connection.execute(
                    self._release_cid, {"m": meeting_id, "a": write.actor, "c": write.cid}
                )
            return False
        _purge(connection, write)
        return True

    async def checkpoint(self) -> None:
        """After a purge committed: leave none of the deleted bytes in SQLite's WAL."""
        await checkpoint_wal(self._engine)

    async def close(self) -> None:
        """Wait for pending commits, then release the writer's connections."""
        if self._flushers:
            await asyncio.shield(asyncio.gather(*self._flushers, return_exceptions=True))
        self._writer.dispose()

    # --- lookups --------------------------------------------------------------------------------

    async def command_seq(
        self, meeting_id: str, actor: str, cid: str, connection: AsyncConnection
    ) -> int | None:
        """The seq a command with this ``cid`` produced, if it was already applied."""
        row = await connection.execute(_applied_seq(meeting_id, actor, cid))
        return row.scalar_one_or_none()

    async def deliveries_after(
        self, meeting_id: str, after: int, upto: int | None = None
    ) -> list[Delivery]:
        """Stored events with ``after < seq <= upto``, in order, ready for the wire."""
        query = select(
            col(MeetingEvent.seq),
            col(MeetingEvent.type),
            col(MeetingEvent.audience),
            col(MeetingEvent.payload),
        ).where(
            col(MeetingEvent.meeting_id) == meeting_id,
            col(MeetingEvent.seq) > after,
        )
        if upto is not None:
            query = query.where(col(MeetingEvent.seq) <= upto)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query.order_by(col(MeetingEvent.seq)))).all()
        return [
            Delivery(
                seq=seq,
                payload=payload,
                audience=decode_audience(audience),
                redacted=None if audience is None else redact(payload),
                resnapshot=kind in VIEW_EVENTS
                and changes_views(EVENT_ADAPTER.validate_json(payload)),
            )
            for seq, kind, audience, payload in rows
        ]

    async def after_refusal(
        self, meeting_id: str, actor: str, cid: str | None
    ) -> tuple[int | None, int | None]:
        """(the seq ``cid`` produced if it was applied before, the meeting's stored seq), in one
        round trip: what decides whether a refusal on cached state is final."""
        applied = _applied_seq(meeting_id, actor, cid).scalar_subquery()
        query = select(applied, col(Meeting.seq)).where(col(Meeting.id) == meeting_id)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return (None, None) if row is None else (row[0], row[1])

    async def current_seqs(self, meeting_ids: list[str]) -> dict[str, int]:
        query = select(col(Meeting.id), col(Meeting.seq)).where(col(Meeting.id).in_(meeting_ids))
        async with self._engine.connect() as connection:
            return {meeting_id: seq for meeting_id, seq in await connection.execute(query)}


def _applied_seq(meeting_id: str, actor: str, cid: str | None) -> Select[int]:
    """The seq the command ``cid`` of ``actor`` produced, if it was applied (no row if not)."""
    return select(col(ProcessedCommand.seq)).where(
        col(ProcessedCommand.meeting_id) == meeting_id,
        col(ProcessedCommand.actor) == actor,
        col(ProcessedCommand.cid) == cid,
    )


def _meeting_id(write: Write) -> str:
    return write.state.meeting_id


def _claim(write: Write) -> dict[str, Any]:
    state = write.state
    return {
        "meeting_id": state.meeting_id,
        "actor": write.actor,
        "cid": write.cid,
        "seq": state.seq,
        "at": utcnow(),
    }


def _move(write: Write) -> dict[str, Any]:
    """The compare-and-set of ``write``, with a snapshot when one is due (else NULL: kept)."""
    state = write.state
    snapshot = write.snapshot_due
    return {
        "m": state.meeting_id,
        "expected": write.expected_seq,
        "new": state.seq,
        "state": state.model_dump_json() if snapshot else None,
        "stage": state.stage.value if snapshot else None,
        "ended": utcnow() if state.stage is Stage.ENDED else None,  # kept once set: retention
        "purged": utcnow() if "content_purged" in write.event_types else None,
    }


def _event_rows(write: Write) -> list[dict[str, Any]]:
    return [
        {
            "meeting_id": write.state.meeting_id,
            "seq": delivery.seq,
            "type": kind,
            "audience": encode_audience(delivery.audience),
            "payload": delivery.payload,
        }
        for delivery, kind in zip(write.deliveries, write.event_types, strict=True)
    ]


def _purges(write: Write) -> bool:
    return "content_purged" in write.event_types


def _purge(connection: Connection, write: Write) -> None:
    """No-trace: when ``write`` ends such a meeting, delete every stored event but its own
    content-free ones."""
    if not _purges(write):
        return
    meeting_id, keep_from = write.state.meeting_id, write.deliveries[0].seq
    connection.execute(
        delete(MeetingEvent).where(
            col(MeetingEvent.meeting_id) == meeting_id, col(MeetingEvent.seq) < keep_from
        )
    )
    connection.execute(
        delete(ProcessedCommand).where(col(ProcessedCommand.meeting_id) == meeting_id)
    )
