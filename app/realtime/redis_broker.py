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

from app.realtime.broker import (
    AccessChanged,
    AccessListener,
    Broker,
    Delivery,
    Listener,
    Publication,
    Reconnected,
)

log = logging.getLogger(__name__)

PREFIX = "codev:meeting:"
ACCESS = "codev:access"
"""Access-changed notices: every process subscribes at start, whatever meetings it holds."""
BACKOFF_MAX = 5.0


def encode(origin: str, publication: Publication) -> str:
    deliveries = [
        [d.seq, d.payload, None if d.audience is None else sorted(d.audience), d.redacted]
        + ([True] if d.resnapshot else [])
        for d in publication.deliveries
    ]
    return json.dumps({"o": origin, "m": publication.meeting_id, "d": deliveries})


def decode(data: bytes | str) -> tuple[str, Publication]:
    """The publication ``encode`` made; ValueError if ``data`` is anything else, so that no
    malformed value reaches the hub."""
    try:
        body = json.loads(data)
        origin, meeting_id = body["o"], body["m"]
        deliveries = tuple(_delivery(*row) for row in body["d"])
    except (KeyError, TypeError) as exc:  # (json.loads and unpacking raise ValueError)
        raise ValueError(f"not a publication: {exc}") from None
    if not (isinstance(origin, str) and isinstance(meeting_id, str)):
        raise ValueError("not a publication: origin and meeting must be strings")
    return origin, Publication(meeting_id, deliveries)


def _delivery(
    seq: object, payload: object, audience: object, hidden: object, *more: object
) -> Delivery:
    members = audience if isinstance(audience, list) else []
    if not (
        type(seq) is int
        and isinstance(payload, str)
        and (audience is None or (isinstance(audience, list) and isinstance(hidden, str)))
        and all(isinstance(member, str) for member in members)
        and more in ((), (True,))
    ):
        raise ValueError("not a publication: a delivery of the wrong shape")
    return Delivery(
        seq,
        payload,
        None if audience is None else frozenset(members),
        hidden if isinstance(hidden, str) else None,
        resnapshot=bool(more),
    )


def encode_access(origin: str, notice: AccessChanged) -> str:
    return json.dumps({"o": origin, "s": notice.scope, "i": notice.id})


def decode_access(data: bytes | str) -> AccessChanged:
    body = json.loads(data)
    if body["s"] not in ("meeting", "group", "member") or not isinstance(body["i"], str):
        raise ValueError("not an access notice")
    return AccessChanged(body["s"], body["i"])


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

    async def start(
        self,
        listener: Listener,
        on_reconnect: Reconnected | None = None,
        on_access: AccessListener | None = None,
    ) -> None:
        await super().start(listener, on_reconnect, on_access)
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
        self.published += 1
        if publication.meeting_id in self._meetings:
            self._listener(publication)
        self._enqueue(PREFIX + publication.meeting_id, encode(self._origin, publication))

    async def publish_access(self, notice: AccessChanged) -> None:
        """Local sockets are re-decided at once; the others hear it through the same queue as
        events, so a process gets the notice before any event this one publishes after it."""
        self._access_changed(notice)
        self._enqueue(ACCESS, encode_access(self._origin, notice))

    def _enqueue(self, channel: str, message: str) -> None:
        self._outbox.append((channel, message))
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
                channels = [PREFIX + m for m in self._meetings] + ["codev:control", ACCESS]
                await self._pubsub.subscribe(*channels)
                self.connected.set()
                self.reconnects += not first
                if not first and self._on_reconnect is not None:
                    await self._on_reconnect()
                first, backoff = False, 0.1
                while True:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=1.0
                    )
                    if message is not None and message["type"] == "message":
                        if message["channel"] == ACCESS.encode():
                            self._deliver_access(message["data"])
                        else:
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
        """One publication to the hub. One this process cannot use is logged and skipped: the
        subscription stays, and the seq it may have carried is read from the database when
        the next event (or the gap watcher) shows it missing."""
        if data.startswith(self._own):
            return  # delivered locally when published
        try:
            _, publication = decode(data)
            if publication.meeting_id in self._meetings:
                self._listener(publication)
        except Exception as exc:
            log.warning("skipped a publication this process cannot use (%s)", str(exc)[:200])

    def _deliver_access(self, data: bytes) -> None:
        if data.startswith(self._own):
            return  # handled locally when published
        try:
            notice = decode_access(data)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed access notice")
            return
        self._access_changed(notice)
