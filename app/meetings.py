"""The write path of a live meeting, the one way any change is made, whoever sends it:

authorise (the caller) → validate (the wire) → load state → ``apply`` (pure) → append events and
save state with a ``seq`` compare-and-set in one transaction → ack → publish → fan out (the hub).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from app.errors import AppError, NotFound
from app.realtime.broker import Broker, Delivery, Publication
from app.stages import (
    EVENT_ADAPTER,
    Command,
    CommandRefused,
    Event,
    MeetingPlan,
    MeetingState,
    audience_of,
    changes_views,
    decide,
    fold,
    purge,
    redacted,
    replan,
)
from app.store.event_log import MeetingLog
from app.store.tombstones import Tombstones

CACHED_MEETINGS = 2_000


class Busy(AppError):
    """Raised when a command lost the compare-and-set race too many times in a row."""

    status = 503
    code = "busy"


@dataclass(frozen=True, slots=True)
class Outcome:
    seq: int
    """The meeting's seq once the command is applied (its last event, or unchanged for a no-op)."""
    duplicate: bool = False
    """True when this ``cid`` was applied before: nothing was applied again."""


def to_delivery(event: Event, plan: MeetingPlan) -> Delivery:
    """Serialise an event once, for every socket and for the log."""
    audience = audience_of(event, plan)
    return Delivery(
        seq=event.seq,
        payload=event.model_dump_json(),
        audience=audience,
        redacted=None if audience is None else redacted(event).model_dump_json(),
        resnapshot=changes_views(event),
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)


class MeetingService:
    def __init__(
        self,
        log: MeetingLog,
        broker: Broker,
        clock: Callable[[], datetime] = _utcnow,
        tombstones: Tombstones | None = None,
    ) -> None:
        self._log = log
        self._tombstones = tombstones
        self._broker = broker
        self._clock = clock
        # One writer per meeting inside this process; across processes the CAS decides.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # Last state this process knows; a stale entry only costs one failed CAS and a reload.
        self._states: OrderedDict[str, MeetingState] = OrderedDict()

    def now(self) -> datetime:
        return self._clock()

    async def load(self, meeting_id: str) -> MeetingState:
        """The meeting's state as stored now (for a snapshot): never from the cache."""
        state = await self._log.load(meeting_id)
        if state is None:
            raise NotFound("there is no such meeting")
        self._remember(state)
        return state

    async def current(self, meeting_id: str, at_least: int = 0) -> MeetingState:
        """The state this process last wrote or read, if it is at ``at_least`` or later; else
        the stored state. For a snapshot to greet a socket with: anything newer follows it."""
        known = self._states.get(meeting_id)
        if known is not None and known.seq >= at_least:
            return known
        return await self.load(meeting_id)

    async def execute(
        self, meeting_id: str, actor: str, cid: str | None, command: Command
    ) -> Outcome:
        """Apply ``command`` for ``actor`` once; raise ``CommandRefused`` if the machine refuses."""
        return await self._write(
            meeting_id, actor, cid, lambda s: decide(s, command, actor, self._clock())
        )

    async def replan(self, meeting_id: str, plan: MeetingPlan) -> Outcome:
        """Replace the plan of a meeting still in its lobby (scheduling, through the same path)."""
        return await self._write(
            meeting_id, "organizer", None, lambda s: replan(s, plan, self._clock())
        )

    async def purge(self, meeting_id: str) -> bool:
        """Erase an ended meeting's case content (retention), through the same path; False when
        nothing was left to erase."""
        erased = False

        def decide_on(state: MeetingState) -> list[Event]:
            nonlocal erased
            events = purge(state, self._clock())
            erased = bool(events)  # decided again on fresh state after a lost race: the last says
            return events

        await self._write(meeting_id, "server", None, decide_on)
        return erased

    async def _write(
        self,
        meeting_id: str,
        actor: str,
        cid: str | None,
        decide_on: Callable[[MeetingState], list[Event]],
    ) -> Outcome:
        lock = self._locks.get(meeting_id)
        if lock is None:
            lock = self._locks[meeting_id] = asyncio.Lock()
        async with lock:
            # Optimistic first: the cached state and one compare-and-set transaction when this
            # process is the meeting's only writer (the common case). A retried cid cannot be
            # stored twice (it is part of a key), so it is looked up only when something fails.
            state = self._states.get(meeting_id) or await self.load(meeting_id)
            try:
                outcome = await self._try(state, decide_on, actor, cid, connection=None)
            except CommandRefused:
                applied, stored = await self._log.after_refusal(meeting_id, actor, cid)
                if applied is not None:
                    return Outcome(applied, duplicate=True)  # applied before; refused only now
                if stored == state.seq:
                    raise  # refused on the stored state: final
                outcome = None  # refused on a stale cache: decide again below
            if outcome is not None:
                return outcome
            # Another process wrote first, or the cid was applied before: under the row lock,
            # look the cid up, and otherwise decide again on fresh state.
            self._states.pop(meeting_id, None)
            try:
                async with self._log.locked(meeting_id) as (connection, fresh):
                    if cid is not None:
                        seq = await self._log.command_seq(meeting_id, actor, cid, connection)
                        if seq is not None:
                            return Outcome(seq, duplicate=True)
                    outcome = await self._try(fresh, decide_on, actor, cid, connection)
            except LookupError:
                raise NotFound("there is no such meeting") from None
            if outcome is None:
                raise Busy("the meeting is changing too fast; try again")
            return outcome

    async def _try(
        self,
        state: MeetingState,
        decide_on: Callable[[MeetingState], list[Event]],
        actor: str,
        cid: str | None,
        connection: AsyncConnection | None,
    ) -> Outcome | None:
        """Decide, store and publish; None when another writer stored first."""
        events = decide_on(state)
        if not events:
            return Outcome(state.seq)
        new = fold(state, events)
        deliveries = tuple(to_delivery(event, new.plan) for event in events)
        kinds = [event.type for event in events]
        if self._tombstones is not None and "content_purged" in kinds:  # before: never lost
            await asyncio.to_thread(self._tombstones.record_purge, state.meeting_id)
        stored = await self._log.commit(new, state.seq, deliveries, kinds, actor, cid, connection)
        if not stored:
            return None
        self._remember(new)
        # Published under the meeting's lock, so this process publishes a meeting in seq order.
        await self._broker.publish(Publication(state.meeting_id, deliveries))
        return Outcome(new.seq)

    def observe(self, publication: Publication) -> None:
        """Fold another process's events into the cached state, so that this process's next
        write to the meeting is decided on current state and wins its compare-and-set, instead
        of losing it and taking the slow path (a row lock and a reload)."""
        known = self._states.get(publication.meeting_id)
        if known is None or not publication.deliveries:
            return
        first = publication.deliveries[0].seq
        if first <= known.seq:
            return  # this process's own write, or old news
        if first > known.seq + 1:
            self._states.pop(publication.meeting_id, None)  # missed some: reload when needed
            return
        events = [EVENT_ADAPTER.validate_json(d.payload) for d in publication.deliveries]
        self._remember(fold(known, events))

    def forget(self, meeting_id: str) -> None:
        self._states.pop(meeting_id, None)

    def _remember(self, state: MeetingState) -> None:
        known = self._states.get(state.meeting_id)
        if known is not None and known.seq > state.seq:
            return
        self._states[state.meeting_id] = state
        self._states.move_to_end(state.meeting_id)
        while len(self._states) > CACHED_MEETINGS:
            self._states.popitem(last=False)
