"""A per-target request budget: at most N requests in any 60 s, and pauses a service asks for.

An Ocean Node allows 30 requests a minute per IP by default and answers 429 beyond that; every
job the runner has on one node shares that allowance, so every request to the node waits here for
a slot (a sliding window), and a 429's "Try again in N seconds" pauses them all until then.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

DEFAULT_PER_MINUTE = 25  # the node's default is 30; keep a margin for a status check by hand
WINDOW = 60.0


class RequestBudget:
    """Thread-safe sliding-window limiter with an injectable clock and sleep (for tests)."""

    def __init__(self, per_minute: int = DEFAULT_PER_MINUTE, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if per_minute < 1:
            raise ValueError("a request budget needs at least 1 request per minute")
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self.waited = 0.0  # total seconds callers spent waiting here

    def acquire(self) -> float:
        """Wait until a request may be sent and count it; the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= WINDOW:
                    self._sent.popleft()
                wait = max(self._paused_until - now, 0.0)
                if not wait and len(self._sent) >= self.per_minute:
                    wait = self._sent[0] + WINDOW - now
                if wait <= 0:
                    self._sent.append(now)
                    self.waited += waited
                    return waited
            self._sleep(wait)
            waited += wait

    def pause(self, seconds: float) -> None:
        """Hold every request for `seconds` from now (a 429 asked for it)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))

    def used(self) -> int:
        """Requests counted in the last 60 s."""
        with self._lock:
            now = self._clock()
            return sum(1 for t in self._sent if now - t < WINDOW)
