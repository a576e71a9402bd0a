"""Progress on the console while a run goes, and the summary at its end."""
from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, TextIO

from c2d_runner.engine.outcome import ERROR, FAILED, PASSED, SKIPPED, JobOutcome, RunOutcome

from ._text import first_line, outcome_counts, plural, printable, shorten
from .failure import failure_lines

MODES = ("auto", "live", "plain", "quiet")
LOG_TAIL_LINES = 10  # lines of algorithm.log shown per failed job in the summary
_REDRAW_INTERVAL = 0.1  # seconds; redrawing on every poll of every job would flood a slow terminal
_TICK = 0.5  # seconds between redraws when nothing happens, so elapsed times and spinners move
_LIVE_ROWS = 20  # running jobs shown at once; a block taller than the screen cannot be redrawn
_SPINNER = "|/-\\"
_COLORS = {PASSED: "32", FAILED: "31", ERROR: "31", SKIPPED: "33"}


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _paint(text: str, code: str | None, enabled: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if enabled and code else text


def _label(outcome: str, color: bool) -> str:
    return _paint(outcome.upper(), _COLORS.get(outcome), color)


def job_line(job: JobOutcome, *, color: bool = False) -> str:
    """One line for a finished job: `stats: PASSED (70 Job finished, 1.8s, 2 results)`."""
    parts = []
    if job.status is not None:
        parts.append(f"{job.status} {printable(job.status_text)}".strip())
    if job.duration is not None:
        parts.append(f"{job.duration:.1f}s")
    if job.results or job.outcome in (PASSED, FAILED):
        parts.append(plural(len(job.results), "result"))
    if job.outcome == FAILED and job.failed_expectations:
        parts.append(f"{plural(len(job.failed_expectations), 'expectation')} failed")
    if job.outcome in (ERROR, SKIPPED) and job.error.strip():
        parts.append(shorten(printable(first_line(job.error)), 160))
    details = f" ({', '.join(parts)})" if parts else ""
    return f"{printable(job.name)}: {_label(job.outcome, color)}{details}"


def format_summary(run: RunOutcome, *, color: bool = False) -> str:
    """The end-of-run summary: what failed and why, the counts, the run folder and the verdict."""
    lines: list[str] = []
    if run.problems:
        lines.append(f"plan refused, nothing was started ({plural(len(run.problems), 'problem')}):")
        lines.extend(f"  {printable(problem)}" for problem in run.problems)
    for job in run.jobs:
        if job.outcome in (FAILED, ERROR):
            lines.extend(failure_lines(job, label=_label(job.outcome, color), log_lines=LOG_TAIL_LINES))
    if run.interrupted:
        lines.append("interrupted before the run could finish")
    counts = outcome_counts(run)
    lines.append(f"{run.spec_name}: {counts[PASSED]} passed, {counts[FAILED]} failed, "
                 f"{plural(counts[ERROR], 'error')}, {counts[SKIPPED]} skipped "
                 f"({plural(len(run.jobs), 'job')} in {run.duration:.1f}s)")
    lines.append("run folder: none kept (the plan was refused, nothing was started)" if run.problems
                 else f"run folder: {run.folder}")
    lines.append(_label(PASSED, color) if run.ok else _label(FAILED, color))
    return "\n".join(lines)


@dataclass
class _Job:
    """What the live display knows of one job."""

    name: str
    status: int | None = None
    text: str = ""
    message: str = ""
    elapsed: float = 0.0
    seen_at: float | None = None  # clock time of the last report, to keep the elapsed time ticking
    done: bool = False


class ConsoleProgress:
    """Shows a run's progress on a stream; the engine may call it from several threads at once."""

    def __init__(self, stream: TextIO | None = None, mode: str = "auto",
                 clock: Callable[[], float] = time.monotonic) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        # Resolved here, not as a default argument, so a redirected or captured sys.stderr is used.
        self.stream = sys.stderr if stream is None else stream
        tty = _isatty(self.stream)
        if mode == "auto":
            mode = "live" if tty and os.environ.get("TERM") != "dumb" else "plain"
        self.mode = mode
        # https://no-color.org; a dumb terminal shows escape codes as garbage.
        self.color = tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        self._clock = clock
        self._lock = threading.RLock()
        self._start = clock()
        self._jobs: dict[str, _Job] = {}
        self._finished: list[str] = []  # final lines not yet written above the live block
        self._drawn = 0  # rows of the live block now on screen
        self._last_draw: float | None = None
        self._timer: threading.Timer | None = None  # a redraw put off by the throttle
        self._closed = False
        self._broken = False
        self._ticker: threading.Thread | None = None
        self._stop_ticking = threading.Event()

    # -- engine callbacks -------------------------------------------------------------------

    def run_started(self, spec_name: str, target: str, jobs: list[str], warnings: tuple[str, ...] = ()) -> None:
        """The run begins: name the spec, where it runs and its jobs; warnings are said once, even when quiet."""
        with self._lock:
            self._start = self._clock()
            for name in jobs:
                self._job(name)
            for warning in warnings:
                self._write(_paint(f"WARNING: {printable(warning)}", "33", self.color) + "\n")
            line = f"run {printable(spec_name)} on {printable(target)}: {plural(len(jobs), 'job')}"
            if self.mode == "plain":
                self._log(line)
            elif self.mode == "live":
                self._write(line + "\n")
                self._redraw()
                # A job may stay in one status for minutes with no call from the engine.
                self._ticker = threading.Thread(target=self._tick, name="c2d-progress", daemon=True)
                self._ticker.start()

    def warn(self, text: str) -> None:
        """A warning about the whole run, found after it started (e.g. where its jobs really go)."""
        with self._lock:
            self._write(_paint(f"WARNING: {printable(text)}", "33", self.color) + "\n")

    def job_status(self, name: str, status: int, status_text: str, elapsed: float) -> None:
        """A job was seen in `status`, `elapsed` seconds after it started."""
        with self._lock:
            job = self._job(name)
            changed = (status, status_text) != (job.status, job.text)
            job.elapsed, job.seen_at = elapsed, self._clock()
            if changed:
                job.status, job.text, job.message = status, status_text, ""
            if self.mode == "plain" and changed:
                self._log(f"{printable(name)}: {status} {printable(status_text)}".rstrip())
            elif self.mode == "live":
                self._update(changed)

    def job_message(self, name: str, text: str) -> None:
        """Something the engine does for a job, e.g. "downloading 3 results"."""
        with self._lock:
            job = self._job(name)
            job.message = text
            if job.seen_at is None:
                job.seen_at = self._clock()
            if self.mode == "plain":
                self._log(f"{printable(name)}: {printable(text)}")
            elif self.mode == "live":
                self._update(changed=True)

    def job_done(self, outcome: JobOutcome) -> None:
        """A job has its outcome; its final line is written and stays."""
        with self._lock:
            self._finish(outcome)
            if self.mode == "live":
                self._redraw()

    def run_done(self, run: RunOutcome) -> None:
        """The run is over: final lines of jobs not yet reported, then the summary."""
        with self._lock:
            for job in run.jobs:
                if not self._job(job.name).done and job.outcome != SKIPPED:
                    self._finish(job)
            self._closed = True
            self._stop_ticking.set()
            if self._timer is not None:
                self._timer.cancel()
            if self.mode == "live":
                self._redraw(final=True)
            if self.mode != "quiet" and self._jobs:
                self._write("\n")
            self._write(format_summary(run, color=self.color) + "\n")

    # -- internals --------------------------------------------------------------------------

    def _job(self, name: str) -> _Job:
        if name not in self._jobs:
            self._jobs[name] = _Job(name)
        return self._jobs[name]

    def _finish(self, outcome: JobOutcome) -> None:
        job = self._job(outcome.name)
        if job.done:
            return
        job.done = True
        line = job_line(outcome, color=self.color)
        if self.mode == "plain":
            self._log(line)
        elif self.mode == "live":
            self._finished.append(line)

    def _write(self, text: str) -> None:
        # Progress must never break the run it reports on: a closed pipe silences it instead.
        if self._broken or not text:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self._broken = True

    def _log(self, text: str) -> None:
        self._write(f"[{self._clock() - self._start:6.1f}s] {text}\n")

    def _width(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            return 80
        # A terminal that reports no size (0x0: some CI consoles, serial lines) is not 0 columns wide.
        return columns if columns >= 20 else 80

    def _rows(self, now: float) -> list[str]:
        running = [j for j in self._jobs.values() if not j.done and j.seen_at is not None]
        waiting = sum(1 for j in self._jobs.values() if not j.done and j.seen_at is None)
        spin = _SPINNER[int(now / _REDRAW_INTERVAL) % len(_SPINNER)]
        width = max(self._width() - 1, 10)  # a wrapped row would break the cursor arithmetic
        rows = []
        shown = running if len(running) <= _LIVE_ROWS else running[: _LIVE_ROWS - 1]
        for job in shown:
            elapsed = job.elapsed + (now - job.seen_at if job.seen_at is not None else 0.0)
            status = "" if job.status is None else f"{job.status} {printable(job.text)}".rstrip()
            message = f" - {printable(job.message)}" if job.message else ""
            rows.append(shorten(f" {spin} {printable(job.name)}: {status}{message} ({elapsed:.1f}s)", width))
        if len(shown) < len(running):
            rows.append(f"   ... and {len(running) - len(shown)} more running")
        if waiting:
            rows.append(f"   {waiting} waiting")
        return rows

    def _update(self, changed: bool) -> None:
        now = self._clock()
        if self._last_draw is None or now - self._last_draw >= _REDRAW_INTERVAL:
            self._redraw()
        elif changed and self._timer is None and not self._closed:
            # A throttled change would otherwise wait for the next call, which may not come
            # for seconds (a long download, a slow poll): draw it when the interval is over.
            wait = min(max(_REDRAW_INTERVAL - (now - self._last_draw), 0.01), _REDRAW_INTERVAL)
            self._timer = threading.Timer(wait, self._deferred_redraw)
            self._timer.daemon = True
            self._timer.start()

    def _tick(self) -> None:
        while not self._stop_ticking.wait(_TICK):
            with self._lock:
                if self._closed:
                    return
                self._redraw()

    def _deferred_redraw(self) -> None:
        with self._lock:
            self._timer = None
            if not self._closed:
                self._redraw()

    def _redraw(self, *, final: bool = False) -> None:
        if self._closed and not final:
            return  # a late call from a job thread must not draw a block under the summary
        now = self._clock()
        self._last_draw = now
        rows = [] if final else self._rows(now)
        if not (self._drawn or self._finished or rows):
            return
        # Up to the first row of the block, clear to the end of the screen, then write the
        # finished jobs' lines (they scroll away with the output and are never redrawn) and the block.
        parts = [f"\r\x1b[{self._drawn}A" if self._drawn else "\r", "\x1b[J"]
        parts.extend(line + "\n" for line in self._finished)
        parts.extend(row + "\n" for row in rows)
        self._finished.clear()
        self._drawn = len(rows)
        self._write("".join(parts))
