"""One live server shared by the tests that need no special settings (each uses its own group)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from tests.live import LiveServer, free_port
from tests.reliability.helpers import Organizer, abort_all


@dataclass
class Live:
    server: LiveServer
    org: Organizer


@pytest.fixture(scope="package")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A live server with default settings and its first organizer, for the whole directory."""
    server = LiveServer(data_dir=tmp_path_factory.mktemp("shared") / "data", port=free_port())
    server.start()
    org = Organizer.bootstrap(server)
    try:
        yield Live(server, org)
    finally:
        org.close()
        server.stop()


@pytest.fixture(autouse=True)
async def _no_socket_left_open() -> AsyncIterator[None]:
    """Whatever a test leaves open (it failed half-way, say) is dropped in its own loop."""
    yield
    await abort_all()
