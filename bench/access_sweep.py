"""What one access sweep costs: ``app.access.decide`` for every socket of M meetings of P people.

The hub decides every open socket again each ``CODEV_ACCESS_SWEEP_SECONDS`` (default 15 s), in
case a notice was lost. This seeds the bench's rows (SQLite in a temporary directory) and
times whole sweeps, in chunks of the hub's ``REVIEW_CHUNK``.

    python -m bench.access_sweep [--meetings 500] [--participants 10] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from app.access import Credential, decide
from app.realtime.hub import REVIEW_CHUNK
from app.security import hash_token
from app.settings import Settings
from app.store.db import create_engine, session_factory

from .seed import migrate, seed
from .stats import summary

SECRET = "bench-access-sweep"


async def sweep_times(
    settings: Settings, asks: list[tuple[str, Credential]], runs: int
) -> list[float]:
    engine = create_engine(settings)
    sessions = session_factory(engine)
    times = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            for start in range(0, len(asks), REVIEW_CHUNK):
                async with sessions() as session:
                    decisions = await decide(session, asks[start : start + REVIEW_CHUNK])
                assert not any(isinstance(d, Exception) for d in decisions)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=500)
    parser.add_argument("--participants", type=int, default=10)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        env = {"CODEV_DATA_DIR": workdir, "CODEV_SECRET_KEY": SECRET}
        migrate(env)
        settings = Settings(_env_file=None, data_dir=Path(workdir), secret_key=SECRET)
        seeds = seed(settings, args.meetings, args.participants)
        asks = [
            (m.meeting_id, Credential(hash_token(settings.key, p.cookie)))
            for m in seeds
            for p in m.people
        ]
        times = asyncio.run(sweep_times(settings, asks, args.runs))
    print(f"one sweep of {len(asks)} sockets in {args.meetings} meetings (ms): {summary(times)}")


if __name__ == "__main__":
    main()
