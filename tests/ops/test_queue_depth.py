"""A client that stops reading shows in ``codev_socket_queue_high_water``; healthy ones do not."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

from prometheus_client.exposition import generate_latest

from app.ops.metrics import Metrics
from app.realtime.broker import InProcessBroker
from app.realtime.hub import Hub
from app.settings import Settings
from tests.realtime.test_gap_fill import Socket


class StalledSocket(Socket):
    """Takes the first frame, then waits until released, like a client that stopped reading."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def send(self, message: dict[str, str]) -> None:
        await self.release.wait()
        await super().send(message)


async def test_a_stalled_socket_raises_the_queue_high_water_and_a_healthy_one_does_not(
    tmp_path: Path,
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="k")
    hub = Hub(settings, None, None, InProcessBroker())  # type: ignore[arg-type]
    metrics = Metrics()
    metrics.watch(SimpleNamespace(hub=hub, broker=InProcessBroker()))  # type: ignore[arg-type]
    healthy, stalled = Socket(), StalledSocket()
    fine = hub.connection(healthy, "m1", "ana", "Ana", {})  # type: ignore[arg-type]
    stuck = hub.connection(stalled, "m1", "ben", "Ben", {})  # type: ignore[arg-type]

    for n in range(6):
        fine.push((0, f"frame {n}"))
    assert hub.queue_depth.high_water == 0
    for n in range(6):
        stuck.push((0, f"frame {n}"))

    scraped = generate_latest(metrics.registry).decode()
    assert "codev_socket_queue_high_water 5.0" in scraped
    stalled.release.set()
    assert stuck.writer is not None
    await stuck.writer
    assert len(stalled.frames) == 6
