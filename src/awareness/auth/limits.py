"""Per-key request rate limit (token bucket), so one misbehaving client cannot starve the rest;
and per-address failed authentications, so guessing keys costs the guesser, not the database.
Each replica counts for itself."""

from __future__ import annotations

import math
import time
from collections.abc import Hashable


class RateLimiter:
    def __init__(self, *, per_second: float, burst: int, max_keys: int = 100_000) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._max_keys = max_keys
        self._buckets: dict[Hashable, tuple[float, float]] = {}

    def retry_after(self, key: Hashable) -> int | None:
        """Takes one token; returns None when allowed, else the seconds to wait."""
        wait = self.waiting(key)
        if wait is None and self._rate > 0:
            tokens, now = self._buckets.get(key, (self._burst, time.monotonic()))
            if len(self._buckets) >= self._max_keys and key not in self._buckets:
                self._buckets.clear()
            self._buckets[key] = (tokens - 1, now)
        return wait

    def waiting(self, key: Hashable) -> int | None:
        """The seconds to wait before `key` may spend a token, or None when it may now; takes
        nothing."""
        if self._rate <= 0:
            return None
        now = time.monotonic()
        tokens, stamp = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - stamp) * self._rate)
        if key in self._buckets:
            self._buckets[key] = (tokens, now)
        if tokens < 1:
            return max(1, math.ceil((1 - tokens) / self._rate))
        return None
