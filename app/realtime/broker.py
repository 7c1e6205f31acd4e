"""The broker carries committed events from the process that wrote them to every process.

The database is the source of truth; a publication is a doorbell that usually carries the
event bytes too. A process that misses one notices the ``seq`` gap and reads the database.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from app.settings import Settings


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event ready for the wire, serialised once for every socket."""

    seq: int
    payload: str
    audience: frozenset[str] | None = None
    """When set, only these members get ``payload``; everyone else gets ``redacted``."""
    redacted: str | None = None
    resnapshot: bool = False
    """The event changes what people may see of earlier content (``stages.changes_views``):
    each socket gets a fresh snapshot after it, and a replay across it is replaced by one."""

    def for_member(self, member: str) -> str:
        if self.audience is None or member in self.audience:
            return self.payload
        assert self.redacted is not None
        return self.redacted


@dataclass(frozen=True, slots=True)
class Publication:
    meeting_id: str
    deliveries: tuple[Delivery, ...]


@dataclass(frozen=True, slots=True)
class AccessChanged:
    """Who may hold some sockets may have changed (committed already): every process re-decides
    its sockets in this scope. A meeting's sockets, a group's, or one member's (in any meeting)."""

    scope: Literal["meeting", "group", "member"]
    id: str


Listener = Callable[[Publication], None]
AccessListener = Callable[[AccessChanged], None]
Reconnected = Callable[[], Awaitable[None]]


class Broker(ABC):
    """Publish to a meeting; receive the meetings this process subscribed to."""

    published = 0
    """Publications made by this process (for ``/metrics``)."""
    reconnects = 0
    """Links to the other processes lost and made again (for ``/metrics``)."""

    _on_access: AccessListener | None = None

    async def start(
        self,
        listener: Listener,
        on_reconnect: Reconnected | None = None,
        on_access: AccessListener | None = None,
    ) -> None:
        """Deliver publications to ``listener`` and every access-changed notice (this process's
        too) to ``on_access``; call ``on_reconnect`` after any lost link."""
        self._listener = listener
        self._on_reconnect = on_reconnect
        self._on_access = on_access

    def _access_changed(self, notice: AccessChanged) -> None:
        if self._on_access is not None:
            self._on_access(notice)

    async def close(self) -> None:  # noqa: B027 - nothing to release in-process
        pass

    @abstractmethod
    async def publish(self, publication: Publication) -> None: ...

    @abstractmethod
    async def publish_access(self, notice: AccessChanged) -> None:
        """Tell every process (this one at once) that access in ``notice.scope`` changed."""

    @abstractmethod
    async def subscribe(self, meeting_id: str) -> None: ...

    @abstractmethod
    async def unsubscribe(self, meeting_id: str) -> None: ...


class InProcessBroker(Broker):
    """One server process: a publication goes straight to this process's hub."""

    def __init__(self) -> None:
        self._meetings: set[str] = set()

    async def publish(self, publication: Publication) -> None:
        self.published += 1
        if publication.meeting_id in self._meetings:
            self._listener(publication)

    async def publish_access(self, notice: AccessChanged) -> None:
        self._access_changed(notice)

    async def subscribe(self, meeting_id: str) -> None:
        self._meetings.add(meeting_id)

    async def unsubscribe(self, meeting_id: str) -> None:
        self._meetings.discard(meeting_id)


def create_broker(settings: Settings) -> Broker:
    if settings.redis_url:
        from app.realtime.redis_broker import RedisBroker

        return RedisBroker(settings.redis_url)
    return InProcessBroker()
