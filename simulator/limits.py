"""Rate limits: a token bucket for the number's throughput, and one bucket per recipient (pair rate)."""

from __future__ import annotations


class TokenBucket:
    """`rate` tokens per second, holding at most `burst`; a send takes one token or is refused."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = now

    def take(self, now: float) -> bool:
        # max(): the simulator clock may be moved, never refill for negative time.
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class PairLimiter:
    """Meta's business-to-user pair rate: about one message per `period` seconds to the same user,
    with bursts up to `burst` that borrow future quota (so a burst is followed by a long pause)."""

    def __init__(self, period: float, burst: int) -> None:
        self.period = period
        self.burst = burst
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, recipient: str, now: float) -> bool:
        bucket = self._buckets.get(recipient)
        if bucket is None:
            bucket = self._buckets[recipient] = TokenBucket(1.0 / self.period, float(self.burst), now)
        return bucket.take(now)
