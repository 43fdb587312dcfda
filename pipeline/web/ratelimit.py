"""A per-key (per client IP) sliding-window rate limit, in memory.

One server process holds the counts; a restart forgets them, which is fine for keeping bots
off the subscribe form. Memory stays bounded: a key's old hits are dropped as it is used,
and keys with no recent hits are swept out periodically.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable


class RateLimiter:
    def __init__(self, limit: int, window: float = 3600.0, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000):
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def allow(self, key: str) -> bool:
        """Count one request of ``key``; False when it is over the limit (the request is not counted)."""
        if self.limit <= 0:
            return True
        now = self.clock()
        with self._lock:
            if now - self._last_sweep > self.window or len(self._hits) > self.max_keys:
                self._sweep(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _sweep(self, now: float) -> None:
        self._hits = {k: h for k, h in self._hits.items() if h and h[-1] > now - self.window}
        self._last_sweep = now
