"""Redis pub/sub between server processes. At-most-once: the database stays the truth.

Each process delivers its own publications to its local hub directly (no round trip, and local
sockets keep working while Redis is away) and publishes them for the other processes, which skip
their own. Redis pub/sub drops messages while a subscriber is disconnected, so after any
reconnect the hub is told to catch every socket up from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

import redis.asyncio as redis

from app.realtime.broker import Broker, Delivery, Listener, Publication, Reconnected

log = logging.getLogger(__name__)

PREFIX = "codev:meeting:"
BACKOFF_MAX = 5.0


def encode(origin: str, publication: Publication) -> str:
    deliveries = [
        [d.seq, d.payload, None if d.audience is None else sorted(d.audience), d.redacted]
        + ([True] if d.resnapshot else [])
        for d in publication.deliveries
    ]
    return json.dumps({"o": origin, "m": publication.meeting_id, "d": deliveries})


def decode(data: bytes | str) -> tuple[str, Publication]:
    body = json.loads(data)
    deliveries = tuple(
        Delivery(seq, payload, None if audience is None else frozenset(audience), hidden, *more)
        for seq, payload, audience, hidden, *more in body["d"]
    )
    return body["o"], Publication(body["m"], deliveries)


class RedisBroker(Broker):
    def __init__(self, url: str) -> None:
        self._url = url
        self._origin = uuid.uuid4().hex
        # Short timeouts: a publish must never hold a meeting's writers for long.
        self._redis: redis.Redis = redis.Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=2, health_check_interval=10
        )
        self._meetings: set[str] = set()
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None
        self._outbox: list[tuple[str, str]] = []
        self._publisher: asyncio.Task[None] | None = None
        # Own publications come back from Redis too: recognised by their first bytes, unparsed.
        self._own = encode(self._origin, Publication("", ())).split(",", 1)[0].encode()
        self.connected = asyncio.Event()

    async def start(self, listener: Listener, on_reconnect: Reconnected | None = None) -> None:
        await super().start(listener, on_reconnect)
        self._task = asyncio.create_task(self._run(), name="redis-subscriber")

    async def close(self) -> None:
        if self._publisher is not None:  # what is committed reaches the others if Redis can
            with contextlib.suppress(Exception):
                await self._publisher
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()

    async def publish(self, publication: Publication) -> None:
        """Deliver locally now; queue for the other processes. The writer (holding its meeting's
        lock) does not wait for Redis: one task sends the queue in order, a pipeline per round
        trip, so this process's publications of a meeting still reach Redis in seq order."""
        if publication.meeting_id in self._meetings:
            self._listener(publication)
        self._outbox.append((PREFIX + publication.meeting_id, encode(self._origin, publication)))
        if self._publisher is None:
            self._publisher = asyncio.create_task(self._send_outbox(), name="redis-publisher")

    async def _send_outbox(self) -> None:
        try:
            while self._outbox:
                batch, self._outbox = self._outbox, []
                try:
                    pipeline = self._redis.pipeline(transaction=False)
                    for channel, message in batch:
                        pipeline.publish(channel, message)
                    await asyncio.wait_for(pipeline.execute(), 2)
                except (redis.RedisError, OSError, TimeoutError) as exc:
                    # Committed already: other processes fill the gap from the database later.
                    log.warning("redis publish failed (%s); peers will catch up from the log", exc)
        finally:
            # Cleared as the loop sees an empty outbox, in the same step: a publication queued
            # after it starts a new task instead of waiting for one that has ended.
            self._publisher = None

    async def subscribe(self, meeting_id: str) -> None:
        self._meetings.add(meeting_id)
        await self._send("subscribe", meeting_id)

    async def unsubscribe(self, meeting_id: str) -> None:
        self._meetings.discard(meeting_id)
        await self._send("unsubscribe", meeting_id)

    async def _send(self, verb: str, meeting_id: str) -> None:
        pubsub = self._pubsub
        if pubsub is None or not self.connected.is_set():
            return  # (re)subscribed with everything in self._meetings on reconnect
        try:
            await getattr(pubsub, verb)(PREFIX + meeting_id)
        except (redis.RedisError, OSError) as exc:
            log.warning("redis %s failed (%s); retrying on reconnect", verb, exc)

    async def _run(self) -> None:
        backoff = 0.1
        first = True
        while True:
            try:
                self._pubsub = self._redis.pubsub()
                # A control channel keeps the subscription alive when no meeting is open here.
                channels = [PREFIX + m for m in self._meetings] + ["codev:control"]
                await self._pubsub.subscribe(*channels)
                self.connected.set()
                if not first and self._on_reconnect is not None:
                    await self._on_reconnect()
                first, backoff = False, 0.1
                while True:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=1.0
                    )
                    if message is not None and message["type"] == "message":
                        self._deliver(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected.clear()
                log.warning("redis subscription lost (%s); retrying in %.1fs", exc, backoff)
                with contextlib.suppress(Exception):
                    await self._pubsub.aclose()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                first = False

    def _deliver(self, data: bytes) -> None:
        if data.startswith(self._own):
            return  # delivered locally when published
        try:
            _, publication = decode(data)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed publication")
            return
        if publication.meeting_id in self._meetings:
            self._listener(publication)
