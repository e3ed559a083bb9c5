"""A small per-client sliding-window rate limiter (per worker process)."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    """At most ``count`` hits per ``seconds`` for each key (a client address)."""

    def __init__(self, count: int, seconds: float) -> None:
        self.count = count
        self.seconds = seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float | None:
        """None if allowed now, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.seconds:
                hits.popleft()
            if len(hits) >= self.count:
                return self.seconds - (now - hits[0])
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients
                for k in [k for k, v in self._hits.items() if not v]:
                    del self._hits[k]
            return None
