"""Ctrl-C and SIGTERM for the front ends (CLI, pytest items, test helpers), never for the engine.

A front end sets the run's cancel event on a signal instead of dying, so the engine stops the remote
jobs it started, records that, and returns an interrupted outcome (exit 1).
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator


@contextlib.contextmanager
def cancel_on_signals(cancel: threading.Event | None = None) -> Iterator[threading.Event]:
    """Yield a cancel event (`cancel`, or a new one) that SIGINT / SIGTERM set while inside.

    Outside the main thread (where Python delivers no signals) no handler is installed.
    """
    cancel = cancel or threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield cancel
        return
    previous = {}

    def handler(signum, frame):
        cancel.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield cancel
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
