"""Per-IP request limit per minute, as Ocean Node's `checkRequestsRateLimit` counts it (pure state).

A fixed window per IP that opens at its first request and lasts 60 s; over the limit the node
answers 429 `Rate limit exceeded. Try again in N seconds.` with N the whole seconds left.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Callable

WINDOW_SECONDS = 60.0


class RateLimiter:
    """Counts requests per IP; `check` returns None when allowed, else the node's refusal text."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        if per_minute < 1:
            raise ValueError("the rate limit must be at least 1 request a minute")
        self.per_minute = per_minute
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # ip -> (window start, requests in it)
        self._lock = threading.Lock()

    def check(self, ip: str) -> str | None:
        """Count one request from `ip`; the 429 text when it is over the limit."""
        now = self._clock()
        with self._lock:
            start, count = self._windows.get(ip, (now, 0))
            expired = now - start > WINDOW_SECONDS
            if count >= self.per_minute and not expired:
                wait = math.ceil(WINDOW_SECONDS - (now - start))
                return f"Rate limit exceeded. Try again in {wait} seconds."
            self._windows[ip] = (now, 1) if expired or count == 0 else (start, count + 1)
            return None
