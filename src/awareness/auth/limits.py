"""Per-key request rate limit (token bucket), so one misbehaving client cannot starve the rest.
Each replica counts for itself."""

from __future__ import annotations

import math
import time


class RateLimiter:
    def __init__(self, *, per_second: float, burst: int, max_keys: int = 100_000) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._max_keys = max_keys
        self._buckets: dict[int, tuple[float, float]] = {}

    def retry_after(self, key_id: int) -> int | None:
        """Takes one token; returns None when allowed, else the seconds to wait."""
        if self._rate <= 0:
            return None
        now = time.monotonic()
        tokens, stamp = self._buckets.get(key_id, (self._burst, now))
        tokens = min(self._burst, tokens + (now - stamp) * self._rate)
        if tokens < 1:
            self._buckets[key_id] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self._rate))
        if len(self._buckets) >= self._max_keys and key_id not in self._buckets:
            self._buckets.clear()
        self._buckets[key_id] = (tokens - 1, now)
        return None
