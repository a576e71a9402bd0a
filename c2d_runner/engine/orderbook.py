"""The run's orders, shared by its jobs on the Provider protocol.

An Ocean order stays valid for its service's timeout, and its provider fee until the fee's
validUntil; a Provider accepts a still-valid order again (initializeCompute's `validOrder`). So a
sweep over one dataset needs one order per input, not one per job: the first job orders, the
others start with the same transfer tx ids and skip initializeCompute.

One rule limits the sharing: operator-service refuses a start whose agreementId (the dataset's
transfer tx id) belongs to a job still running ("`agreementId` already in use for other job."). A
job therefore borrows the order it starts with as its agreementId (`lend`) until it has finished
(`give_back`); other jobs skip a borrowed order in that place and get an order of their own.

Pure logic and locks: no sockets, the clock is passed in.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

# An entry is not handed out this close to its end: the start still has to reach the provider,
# which itself refuses a fee within 90 s of its validUntil.
MARGIN = 120.0
# How often a job waiting on another job's key looks whether the run was cancelled (seconds).
KEY_WAIT_CHECK = 0.25
# The validUntil the runner asks initializeCompute for (the client's default order validity).
ORDER_VALIDITY = 3600


@dataclass(frozen=True, order=True)
class OrderKey:
    """What an order pays for: one service of one asset, for one consumer in one environment of one provider."""

    provider: str
    consumer: str
    did: str
    service_id: str
    environment: str

    @classmethod
    def of(cls, provider: str, consumer: str, did: str, service_id: str, environment: str) -> "OrderKey":
        """The key, with the spellings that vary (URL slash, address case) made one."""
        return cls(provider.rstrip("/"), consumer.lower(), did, service_id, environment)


@dataclass(frozen=True)
class BookEntry:
    """An order's transaction and when it stops being usable (epoch seconds)."""

    tx: str
    usable_until: float


def usable_until(ordered_at: float, service_timeout: int, fee_valid_until: float | None) -> float:
    """When an order placed at `ordered_at` ends: its service's timeout (0: none) or its fee's validUntil."""
    ends = [float(fee_valid_until)] if fee_valid_until else []
    if service_timeout > 0:
        ends.append(ordered_at + service_timeout)
    return min(ends) if ends else float("inf")


# What a Provider's refusal of an order says (its validation codes, operator-service's agreementId rule).
REFUSALS = ("order_invalid", "fees_not_paid", "in_use_or_not_on_chain", "agreementid` already in use")


def refuses_order(status: int | None, text: str) -> bool:
    """True when a start's 4xx answer refuses its orders (invalid, expired, fee not paid, in use)."""
    return status is not None and 400 <= status < 500 and status != 429 and any(r in text.lower() for r in REFUSALS)


def paid_orders(events: Iterable[dict], consumer: str) -> list[tuple[OrderKey, str, float]]:
    """(key, tx, usable until) of each order a run's journal says was paid (its "paid" events), so a
    resumed run offers them to its jobs again instead of paying twice."""
    out = []
    for e in events:
        if e.get("event") == "paid" and e.get("provider") and e.get("environment") and e.get("valid_until"):
            key = OrderKey.of(e["provider"], consumer, e["did"], e["service"], e["environment"])
            out.append((key, e["tx"], float(e["valid_until"])))
    return out


def acquire(lock: threading.Lock, waiting: Callable[[], None]) -> None:
    """Take `lock`, calling `waiting` every KEY_WAIT_CHECK s while another holds it (it may raise to give up)."""
    while not lock.acquire(timeout=KEY_WAIT_CHECK):
        waiting()


class OrderBook:
    """Thread-safe: the orders of one run by key, and who holds a key while ordering it."""

    def __init__(self, clock: Callable[[], float] = time.time, margin: float = MARGIN):
        self.clock = clock
        self.margin = margin
        self._lock = threading.Lock()
        self._entries: dict[OrderKey, list[BookEntry]] = {}
        self._key_locks: dict[OrderKey, threading.Lock] = {}
        self._lent: Counter[str] = Counter()  # agreementIds of this run's running jobs

    def usable(self, key: OrderKey, lent_ok: bool = True) -> str | None:
        """The newest order of `key` that is still usable (not one a running job starts with, unless `lent_ok`)."""
        now = self.clock()
        with self._lock:
            for entry in reversed(self._entries.get(key, [])):
                if entry.usable_until - self.margin > now and (lent_ok or not self._lent[entry.tx]):
                    return entry.tx
        return None

    def record(self, key: OrderKey, tx: str, until: float) -> None:
        """Keep `tx` for `key` until `until` (a tx already kept gets the later end)."""
        with self._lock:
            entries = [e for e in self._entries.get(key, []) if e.tx != tx]
            kept = max((e.usable_until for e in self._entries.get(key, []) if e.tx == tx), default=until)
            self._entries[key] = [*entries, BookEntry(tx, max(until, kept))]

    def drop(self, key: OrderKey, tx: str) -> None:
        """Forget `tx` for `key` (the provider no longer takes it)."""
        with self._lock:
            self._entries[key] = [e for e in self._entries.get(key, []) if e.tx != tx]

    def until(self, key: OrderKey, tx: str) -> float | None:
        """When the kept `tx` of `key` ends, or None when it is not kept."""
        with self._lock:
            return next((e.usable_until for e in self._entries.get(key, []) if e.tx == tx), None)

    def lend(self, tx: str) -> None:
        """A job starts with `tx` as its agreementId: no other job may until it gives it back."""
        with self._lock:
            self._lent[tx] += 1

    def give_back(self, tx: str) -> None:
        """The job that started with `tx` has finished."""
        with self._lock:
            self._lent[tx] -= 1
            if self._lent[tx] <= 0:
                del self._lent[tx]

    @contextmanager
    def holding(self, keys: Iterable[OrderKey], waiting: Callable[[], None] = lambda: None) -> Iterator[None]:
        """Hold these keys (in one global order, so two jobs cannot wait on each other): a job that
        orders a key makes the others with that key wait, then find its order. `waiting` is called
        while a key is held by another job, and may raise to give up (the run was cancelled)."""
        with self._lock:
            locks = [self._key_locks.setdefault(k, threading.Lock()) for k in sorted(set(keys))]
        held = []
        try:
            for lock in locks:
                acquire(lock, waiting)
                held.append(lock)
            yield
        finally:
            for lock in reversed(held):
                lock.release()


__all__ = ["MARGIN", "ORDER_VALIDITY", "REFUSALS", "OrderKey", "BookEntry", "OrderBook", "usable_until",
           "refuses_order", "paid_orders", "acquire"]
