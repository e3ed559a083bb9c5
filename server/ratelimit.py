"""A per-client sliding window of *refused* requests (per worker process).

It guards the token and the signatures against guessing and floods: only
requests that fail authentication count, and a request that authenticates
(the admin token, or a document signed by a committee member) is never
limited, so nobody can lock the administrator or the trustees out by
sending wrong ones from the same address (issue 13)."""

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

    def blocked(self, key: str) -> float | None:
        """The seconds ``key`` must wait (it had ``count`` refusals within the
        window), or None; records nothing."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return None
            while hits and now - hits[0] >= self.seconds:
                hits.popleft()
            if len(hits) >= self.count:
                return self.seconds - (now - hits[0])
            return None

    def refuse(self, key: str) -> float | None:
        """Record one refused request of ``key``; returns the wait as :meth:`allow`."""
        return self.allow(key)

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
