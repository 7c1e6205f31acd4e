"""The meeting event log: state snapshot + events + processed command ids, written atomically.

``commit`` is the compare-and-set at the heart of the write path: it saves the new state only
if the stored ``seq`` is still the one the command was decided on, in the same transaction as
the events and the command's ``cid``. A loser of a race gets ``False`` and retries on fresh state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col

from app.realtime.broker import Delivery
from app.stages import EVENT_ADAPTER, MeetingState, redacted
from app.store.models import Meeting, MeetingEvent, ProcessedCommand, utcnow


def redact(payload: str) -> str:
    """What a member who may not see an event gets: its place in the sequence, nothing else."""
    return redacted(EVENT_ADAPTER.validate_json(payload)).model_dump_json()


class MeetingLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine  # Core statements on plain connections: no ORM in the hot path

    async def load(self, meeting_id: str) -> MeetingState | None:
        async with self._engine.connect() as connection:
            row = await connection.execute(
                select(col(Meeting.state)).where(col(Meeting.id) == meeting_id)
            )
            text = row.scalar_one_or_none()
        return None if text is None else MeetingState.model_validate_json(text)

    @asynccontextmanager
    async def locked(self, meeting_id: str) -> AsyncIterator[tuple[AsyncConnection, MeetingState]]:
        """The stored state with its row locked (PostgreSQL ``FOR UPDATE``) until the block ends.

        For a writer that lost a compare-and-set: waiting its turn beats retrying against a
        busy process that keeps winning. (SQLite has one writer at a time anyway.)
        """
        query = select(col(Meeting.state)).where(col(Meeting.id) == meeting_id).with_for_update()
        async with self._engine.connect() as connection:
            text = (await connection.execute(query)).scalar_one_or_none()
            if text is None:
                raise LookupError(meeting_id)
            yield connection, MeetingState.model_validate_json(text)

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
        """Store ``state`` and its new events if nobody else wrote since ``expected_seq``."""
        if connection is not None:
            return await self._write(
                connection, state, expected_seq, deliveries, event_types, actor, cid
            )
        async with self._engine.connect() as fresh:
            return await self._write(
                fresh, state, expected_seq, deliveries, event_types, actor, cid
            )

    async def _write(
        self,
        connection: AsyncConnection,
        state: MeetingState,
        expected_seq: int,
        deliveries: Sequence[Delivery],
        event_types: Sequence[str],
        actor: str,
        cid: str | None,
    ) -> bool:
        meeting_id = state.meeting_id
        try:
            result = await connection.execute(
                update(Meeting)
                .where(col(Meeting.id) == meeting_id, col(Meeting.seq) == expected_seq)
                .values(state=state.model_dump_json(), seq=state.seq, stage=state.stage.value)
            )
            if result.rowcount != 1:
                await connection.rollback()
                return False
            await connection.execute(
                insert(MeetingEvent),
                [
                    {
                        "meeting_id": meeting_id,
                        "seq": d.seq,
                        "type": kind,
                        "audience": d.audience,
                        "payload": d.payload,
                    }
                    for d, kind in zip(deliveries, event_types, strict=True)
                ],
            )
            if cid is not None:
                await connection.execute(
                    insert(ProcessedCommand).values(
                        meeting_id=meeting_id, actor=actor, cid=cid, seq=state.seq, at=utcnow()
                    )
                )
            if "content_purged" in event_types:
                await self._purge(connection, meeting_id, keep_from=deliveries[0].seq)
            await connection.commit()
        except IntegrityError:
            await connection.rollback()
            return False
        return True

    async def command_seq(
        self, meeting_id: str, actor: str, cid: str, connection: AsyncConnection | None = None
    ) -> int | None:
        """The seq a command with this ``cid`` produced, if it was already applied."""
        if connection is None:
            async with self._engine.connect() as fresh:
                return await self.command_seq(meeting_id, actor, cid, fresh)
        row = await connection.execute(
            select(col(ProcessedCommand.seq)).where(
                col(ProcessedCommand.meeting_id) == meeting_id,
                col(ProcessedCommand.actor) == actor,
                col(ProcessedCommand.cid) == cid,
            )
        )
        return row.scalar_one_or_none()

    async def deliveries_after(
        self, meeting_id: str, after: int, upto: int | None = None
    ) -> list[Delivery]:
        """Stored events with ``after < seq <= upto``, in order, ready for the wire."""
        query = select(
            col(MeetingEvent.seq), col(MeetingEvent.audience), col(MeetingEvent.payload)
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
                audience=audience,
                redacted=None if audience is None else redact(payload),
            )
            for seq, audience, payload in rows
        ]

    async def current_seq(self, meeting_id: str) -> int | None:
        async with self._engine.connect() as connection:
            query = select(col(Meeting.seq)).where(col(Meeting.id) == meeting_id)
            row = await connection.execute(query)
            return row.scalar_one_or_none()

    async def current_seqs(self, meeting_ids: list[str]) -> dict[str, int]:
        query = select(col(Meeting.id), col(Meeting.seq)).where(col(Meeting.id).in_(meeting_ids))
        async with self._engine.connect() as connection:
            return {meeting_id: seq for meeting_id, seq in await connection.execute(query)}

    @staticmethod
    async def _purge(connection: AsyncConnection, meeting_id: str, keep_from: int) -> None:
        """No-trace: delete every stored event but the content-free ones that ended the meeting."""
        await connection.execute(
            delete(MeetingEvent).where(
                col(MeetingEvent.meeting_id) == meeting_id, col(MeetingEvent.seq) < keep_from
            )
        )
        await connection.execute(
            delete(ProcessedCommand).where(col(ProcessedCommand.meeting_id) == meeting_id)
        )
