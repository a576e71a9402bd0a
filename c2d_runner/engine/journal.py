"""The run folder and its journal: what was about to be sent is on disk before it is sent.

`journal.jsonl` is append-only, one JSON event per line, flushed and fsynced per event, so a run
killed at any point (even SIGKILL) can be resumed: a job whose "starting" event has no
"started" event is reconciled with the provider's list of the consumer's jobs before anything
is started again. Private keys never reach it: events hold order ids, job ids and hashes, and every
line passes through the run's Redactor on its way to disk.
"""
from __future__ import annotations

import fcntl
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from c2d_runner.errors import InvalidInput
from c2d_runner.redaction import Redactor

JOURNAL = "journal.jsonl"
RECORD = "run.json"
MOCK_STATE = "mock-state"
LOCK = ".lock"


class RunFolderBusy(InvalidInput):
    """Another process is running (or resuming) this run right now."""


class RunFolderUnwritable(InvalidInput):
    """The run folder cannot be created or written (read-only, no permission, disk full)."""


def hold_run_folder(folder: Path):
    """An exclusive lock on a run folder for as long as the returned file stays open.

    A run's embedded mock lives inside the runner's process: a second process that restarted it
    on the same state (a second --resume) would mark the live run's jobs failed, so whoever holds
    the folder is the only one who may touch it.
    """
    try:
        handle = open(folder / LOCK, "a+")
    except OSError as exc:
        raise RunFolderUnwritable(f"cannot write the run folder {folder}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise RunFolderBusy(f"run {folder} is in progress in another process; wait for it to end") from None
    return handle


def run_folder_busy(folder: Path) -> bool:
    """True while a process holds the run folder; asks without locking or writing anything,
    so it works on a read-only copy of runs/ (a CI artifact)."""
    try:
        handle = open(folder / LOCK, "r")
    except OSError:
        return False  # never locked (or unreadable: nobody can be holding it through us)
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def new_run_id(now: float | None = None) -> str:
    """A sortable, unique run id such as 20261125T014600.123Z-3f2a (milliseconds, so runs started in
    the same second still sort by age for `latest` and `c2d runs`)."""
    moment = datetime.fromtimestamp(now or time.time(), timezone.utc)
    return f"{moment.strftime('%Y%m%dT%H%M%S')}.{moment.microsecond // 1000:03d}Z-{secrets.token_hex(2)}"


def job_folder_name(job_name: str) -> str:
    """A job's folder: matrix names like gpr[n=10] are kept readable but safe."""
    return "".join(c if c.isalnum() or c in "._-=,[]" else "_" for c in job_name)


@dataclass
class JobJournal:
    """What the journal says about one job so far."""

    name: str
    orders: dict | None = None  # the orders (transfer ids) about to be used, once "starting"
    start_token: str | None = None  # the token an Ocean Node start carries in its metadata, once "starting"
    job_id: str | None = None  # once "started"
    provider: str | None = None
    done: dict | None = None  # the final outcome summary, once "done"
    stopped: bool = False
    paid: dict = field(default_factory=dict)  # input ("dataset", "additional.N", "algorithm") -> order tx paid


@dataclass
class Journal:
    """Append-only event log of one run."""

    folder: Path
    # The run's keys: set once the run has its wallet, so no event line can carry one.
    redact: Redactor = field(default_factory=Redactor, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def path(self) -> Path:
        """The journal file."""
        return self.folder / JOURNAL

    def write(self, event: str, **fields) -> None:
        """Append one event durably (flush + fsync) before returning."""
        line = self.redact(json.dumps({"event": event, "at": time.time(), **fields}, sort_keys=True, default=str))
        with self._lock:
            created = not self.path.exists()
            with open(self.path, "a", encoding="utf-8") as out:
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())
            if created:  # the new file's name must survive a crash as well as its content
                _fsync_dir(self.folder)

    def repair(self) -> None:
        """End a torn last line (a crash mid-write) so the next event starts on a line of its own."""
        with self._lock:
            if not self.path.exists() or self.path.stat().st_size == 0:
                return
            with open(self.path, "rb+") as out:
                out.seek(-1, os.SEEK_END)
                if out.read(1) != b"\n":
                    out.write(b"\n")
                    out.flush()
                    os.fsync(out.fileno())

    def events(self) -> list[dict]:
        """All events written so far (a torn last line from a crash is ignored)."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text("utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def jobs(self) -> dict[str, JobJournal]:
        """The state of every job the journal mentions."""
        state: dict[str, JobJournal] = {}
        for event in self.events():
            name = event.get("job")
            if not name:
                continue
            job = state.setdefault(name, JobJournal(name))
            kind = event["event"]
            if kind == "starting":  # a new attempt: what an earlier, stopped one did no longer counts
                job.orders, job.provider = event.get("orders"), event.get("provider")
                job.start_token = event.get("start_token")
                job.job_id, job.done, job.stopped = None, None, False
            elif kind == "started":
                job.job_id, job.provider = event.get("job_id"), event.get("provider", job.provider)
            elif kind == "done":
                job.done = event.get("outcome")
            elif kind == "stopped":
                job.stopped = True
            elif kind == "paid":  # money spent stays spent, whatever attempt it was for
                job.paid[event["input"]] = event["tx"]
        return state

    def header(self) -> dict | None:
        """The run's first event (spec, target, ...), if any."""
        for event in self.events():
            if event.get("event") == "run":
                return event
        return None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
