from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import LiveServer, live_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real uvicorn server on a free loopback port, with a fresh SQLite database."""
    with live_server(tmp_path / "data") as running:
        yield running
