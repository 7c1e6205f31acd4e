"""The Redis broker between two processes, on the machine's real Redis (127.0.0.1:6379)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from app.realtime.broker import Delivery, Publication
from app.realtime.redis_broker import PREFIX, RedisBroker

REDIS_URL = "redis://127.0.0.1:6379/0"


class Process:
    def __init__(self) -> None:
        self.broker = RedisBroker(REDIS_URL)
        self.heard: list[Publication] = []
        self.arrived = asyncio.Event()

    def listen(self, publication: Publication) -> None:
        self.heard.append(publication)
        self.arrived.set()

    def seqs(self) -> list[int]:
        return [d.seq for p in self.heard for d in p.deliveries]


@pytest.fixture
async def two() -> AsyncIterator[tuple[Process, Process, str]]:
    meeting_id = uuid.uuid4().hex  # no other test's channel
    processes = (Process(), Process())
    for process in processes:
        await process.broker.start(process.listen)
        await asyncio.wait_for(process.broker.connected.wait(), 5)
        await process.broker.subscribe(meeting_id)
    yield processes[0], processes[1], meeting_id
    for process in processes:
        await process.broker.close()


def publication(meeting_id: str, seq: int) -> Publication:
    return Publication(meeting_id, (Delivery(seq, f'{{"type":"x","seq":{seq}}}', None, None),))


async def until(process: Process, count: int) -> None:
    while len(process.seqs()) < count:
        process.arrived.clear()
        await asyncio.wait_for(process.arrived.wait(), 5)


async def test_a_burst_of_writes_reaches_the_other_process_in_seq_order(
    two: tuple[Process, Process, str],
) -> None:
    one, other, meeting_id = two

    for seq in range(1, 201):  # published as fast as the writers commit, without a wait
        await one.broker.publish(publication(meeting_id, seq))
    await until(other, 200)

    assert other.seqs() == list(range(1, 201))


async def test_a_process_hears_its_own_publications_once_and_at_once(
    two: tuple[Process, Process, str],
) -> None:
    one, other, meeting_id = two

    await one.broker.publish(publication(meeting_id, 1))
    assert one.seqs() == [1]  # delivered locally before Redis has seen it
    await one.broker.publish(publication(meeting_id, 2))
    await until(other, 2)
    # Redis sends one's own two back to it before anything published after they arrived.
    await other.broker.publish(publication(meeting_id, 3))
    await until(one, 3)

    assert one.seqs() == [1, 2, 3]
    assert other.seqs() == [1, 2, 3]


async def test_a_publication_that_cannot_be_used_is_skipped_and_the_subscription_stays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    meeting_id = uuid.uuid4().hex
    reconnects: list[None] = []

    async def reconnected() -> None:
        reconnects.append(None)

    other = Process()

    def listen(publication: Publication) -> None:
        if publication.deliveries[0].payload == "the hub cannot take this":
            raise ValueError("the hub cannot take this")
        other.listen(publication)

    await other.broker.start(listen, reconnected)
    await asyncio.wait_for(other.broker.connected.wait(), 5)
    await other.broker.subscribe(meeting_id)
    raw = redis.Redis.from_url(REDIS_URL)
    garbage = [
        b"\xff\xfe not even UTF-8",
        b"not json",
        b"[1, 2, 3]",
        b'{"o": "someone", "m": ["a", "list"], "d": []}',
        f'{{"o": "someone", "m": "{meeting_id}", "d": [[1]]}}'.encode(),
        f'{{"o": "someone", "m": "{meeting_id}", "d": [["1", "{{}}", null, null]]}}'.encode(),
        f'{{"o": "someone", "m": "{meeting_id}", "d": [[1, "x", "ana", null]]}}'.encode(),
        f'{{"o": "someone", "m": "{meeting_id}", "d": [[1, "the hub cannot take this", null,'
        " null]]}".encode(),
    ]
    try:
        with caplog.at_level(logging.WARNING, logger="app.realtime.redis_broker"):
            for data in garbage:
                await raw.publish(PREFIX + meeting_id, data)
            one = RedisBroker(REDIS_URL)
            await one.start(lambda _publication: None)
            await asyncio.wait_for(one.connected.wait(), 5)
            await one.publish(publication(meeting_id, 2))
            await until(other, 1)
            await one.close()
    finally:
        await raw.aclose()
        await other.broker.close()

    assert other.seqs() == [2]  # the real one, after every bad one
    assert reconnects == []  # never resubscribed: the subscription stayed up
    skipped = [r for r in caplog.records if "skipped a publication" in r.getMessage()]
    assert len(skipped) == len(garbage)
    assert not [r for r in caplog.records if "subscription lost" in r.getMessage()]
