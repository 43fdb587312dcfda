"""Per-key sliding-window rate limits, in memory: per client IP for the subscribe form, and
the throttle on confirmation mails.

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

    def full(self, key: str) -> bool:
        """True when ``allow(key)`` would refuse now (nothing is counted)."""
        if self.limit <= 0:
            return False
        now = self.clock()
        with self._lock:
            return sum(1 for t in self._hits.get(key, ()) if t > now - self.window) >= self.limit

    def _sweep(self, now: float) -> None:
        self._hits = {k: h for k, h in self._hits.items() if h and h[-1] > now - self.window}
        self._last_sweep = now


class ConfirmationThrottle:
    """How many confirmation mails may go out: one per mailbox (``bomb+1@`` and ``bomb+2@`` are
    one, see ``subscribers.mailbox_key``) per ``interval``, a share of ``per_hour`` per recipient
    domain (a quarter, at least 5) and ``per_hour`` in all. A mail is counted against all three
    or none."""

    def __init__(self, per_hour: int, interval: float = 600.0, clock: Callable[[], float] = time.monotonic):
        self.mailbox = RateLimiter(1, window=interval, clock=clock)
        self.domain = RateLimiter(max(5, per_hour // 4) if per_hour > 0 else 0, clock=clock)
        self.total = RateLimiter(per_hour, clock=clock)
        self._lock = threading.Lock()

    def allow(self, addr: str) -> bool:
        from pipeline.subscribers import mailbox_key

        keys = ((self.mailbox, mailbox_key(addr)), (self.domain, addr.rpartition("@")[2]), (self.total, ""))
        with self._lock:
            if any(limiter.full(key) for limiter, key in keys):
                return False
            for limiter, key in keys:
                limiter.allow(key)
            return True
