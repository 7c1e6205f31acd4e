"""Message limits per member of a meeting: bursts are fine, floods are refused, then closed.

The bucket belongs to the member, not to the socket: reconnecting or opening parallel sockets
does not refill it. A flood is counted as refusals within a window (not "in a row"), so a
steady sender above the rate, who gets a token now and then, is closed too.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float
    """Frames per second sustained."""
    burst: float
    """Frames accepted at once after a quiet period."""
    flood_after: int
    """Refusals within ``flood_window`` seconds that make the sender a flood."""
    flood_window: float
    tokens: float = field(init=False)
    last: float | None = field(init=False, default=None)
    refusals: deque[float] = field(init=False)
    """When the last ``flood_after`` refusals happened (monotonic)."""

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.refusals = deque(maxlen=self.flood_after)

    def take(self, now: float) -> bool:
        """Spend one token at monotonic time ``now``; False when the sender is too fast."""
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.refusals.append(now)
        return False

    def empty(self, now: float) -> bool:
        """Whether a message sent now would be refused (nothing is spent)."""
        self._refill(now)
        return self.tokens < 1

    def flooding(self, now: float) -> bool:
        """Whether ``flood_after`` refusals happened within the last ``flood_window`` seconds."""
        full = len(self.refusals) == self.refusals.maxlen
        return full and now - self.refusals[0] <= self.flood_window

    def idle(self, now: float) -> bool:
        """Whether this bucket is as good as a new one (full, no recent refusal): forgettable."""
        self._refill(now)
        recent = bool(self.refusals) and now - self.refusals[-1] <= self.flood_window
        return self.tokens >= self.burst and not recent

    def _refill(self, now: float) -> None:
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now


class MemberBuckets:
    """One bucket per (meeting, member), shared by all of the member's sockets in this process,
    kept after they disconnect until it has refilled (then it is the same as a fresh one)."""

    def __init__(self, rate: float, burst: int, flood_after: int, flood_window: float) -> None:
        self._limits = (rate, burst, flood_after, flood_window)
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._next_sweep = 0

    def of(self, meeting_id: str, member_id: str, now: float) -> TokenBucket:
        key = (meeting_id, member_id)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._next_sweep:
                self._sweep(now)
            bucket = self._buckets[key] = TokenBucket(*self._limits)
        return bucket

    def __len__(self) -> int:
        return len(self._buckets)

    def _sweep(self, now: float) -> None:
        """Forget the refilled buckets; amortised: runs when the table doubled since last time."""
        self._buckets = {k: b for k, b in self._buckets.items() if not b.idle(now)}
        self._next_sweep = max(64, 2 * len(self._buckets))
