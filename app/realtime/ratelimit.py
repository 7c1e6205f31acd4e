"""A token bucket per socket: bursts are fine, floods are refused, then the socket is closed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float
    """Frames per second sustained."""
    burst: float
    """Frames accepted at once after a quiet period."""
    tokens: float = field(init=False)
    last: float = field(init=False, default=0.0)
    refused_in_a_row: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def take(self, now: float) -> bool:
        """Spend one token at monotonic time ``now``; False when the sender is too fast."""
        if self.last:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.refused_in_a_row = 0
            return True
        self.refused_in_a_row += 1
        return False
