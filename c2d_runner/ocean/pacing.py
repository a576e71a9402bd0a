"""When to look at a waiting job again: at the time jobs like it took so far, then a fraction of its age later.

A sweep runs many jobs of one kind on one provider, so the provider's own run times of the jobs it
has finished (dateCreated to dateFinished) say when the next one will likely end.  The first look
goes there instead of walking up to it with a backoff, and a job still running after that is looked
at again at most `lateness` of its age later: it is noticed at most that fraction late, and the
looks a job costs grow with the logarithm of its run time, not with its run time.

Pure rules plus one small thread-safe record of run times; the waits (compute.py, node/compute.py)
do the sleeping.
"""
from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass
from typing import Sequence

from c2d_runner.ocean.records import JobStatus

# How many of the latest run times the expectation is taken over: a sweep that changes pace is followed.
KEEP = 32


@dataclass(frozen=True)
class PollPolicy:
    """The bounds of the waits between two looks at a job's status."""

    low: float  # the shortest wait (a provider on loopback answers in a millisecond; a remote one costs more)
    high: float  # the longest wait, however old the job
    lateness: float = 0.25  # past its expected end, a job is looked at again after this fraction of its age


def expected_run(durations: Sequence[float]) -> float | None:
    """The run time to expect of the next job: the median of the latest ones, None before any ended."""
    recent = [d for d in durations[-KEEP:] if d >= 0]
    return statistics.median(recent) if recent else None


def next_delay(age: float, expected: float | None, policy: PollPolicy) -> float:
    """Seconds to wait before looking again at a job `age` seconds after its start.

    Before the expected end: until then (jobs like it end there).  After it, or with nothing learned
    yet: `lateness` x its age.  Always within [low, high].
    """
    if expected is not None and age < expected:
        wanted = expected - age
    else:
        wanted = age * policy.lateness
    return min(max(wanted, policy.low), policy.high)


def run_time(job: JobStatus) -> float | None:
    """How long the provider says a job that is over ran (dateCreated to dateFinished), if it says."""
    if not job.terminal or job.date_created is None or job.date_finished is None:
        return None
    return max(job.date_finished - job.date_created, 0.0)


class RunTimes:
    """The run times of the jobs this process waited on at one provider; shared by its waiters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}  # job id -> run time, in the order they ended

    def learn(self, job: JobStatus) -> None:
        """Remember the run time of a job that is over (once per job; jobs without dates are skipped)."""
        took = run_time(job)
        if took is None:
            return
        with self._lock:
            self._seen.setdefault(job.job_id, took)
            while len(self._seen) > KEEP:
                self._seen.pop(next(iter(self._seen)))

    def expected(self) -> float | None:
        """The run time to expect of the next job here (expected_run over those learned)."""
        with self._lock:
            return expected_run(list(self._seen.values()))
