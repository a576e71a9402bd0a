"""One status listing per poll round, shared by every job of a consumer waiting on one provider.

Both the Provider (GET compute?consumerAddress) and Ocean Node list all of a consumer's jobs in one
answer, so N jobs waiting together need one request per round, not N.  On an Ocean Node with its
default 30 requests a minute per IP this decides whether a 50-job sweep takes minutes or an hour.
"""
from __future__ import annotations

import threading
from typing import Callable, Iterable

from c2d_runner.ocean.records import JobStatus


class JobListing:
    """The consumer's jobs as last listed; a waiter takes a listing newer than its last, else fetches one.

    Listings are numbered in the order their fetch started.  A waiter remembers the number it saw
    (or `mark()` when it begins, so that a listing fetched before its job existed never counts) and
    asks for a later one: when another waiter fetched one since, it is shared without a request;
    when a fetch is under way, the waiter waits for it instead of sending its own.
    """

    def __init__(self, fetch: Callable[[], Iterable[JobStatus]]) -> None:
        self._fetch = fetch
        self._cond = threading.Condition()
        self._jobs: dict[str, JobStatus] = {}
        self._started = 0   # fetches started so far; the number of the one in flight, if any
        self._latest = 0    # the number of the newest listing in self._jobs
        self._fetching = False

    def mark(self) -> int:
        """The number to pass as `after` for a job started just now."""
        with self._cond:
            return self._started

    def status(self, job_id: str, after: int) -> tuple[JobStatus | None, int]:
        """The job in the first listing whose fetch started after listing `after`, and that listing's number.

        None when that listing does not have the job.  Fetch errors reach every waiter of that fetch.
        """
        with self._cond:
            while self._latest <= after:
                if not self._fetching:
                    self._fetching = True
                    self._started += 1
                    number = self._started
                    break
                self._cond.wait()
            else:
                return self._jobs.get(job_id), self._latest
        try:
            jobs = {job.job_id: job for job in self._fetch()}
        except BaseException:
            with self._cond:
                self._fetching = False
                self._cond.notify_all()
            raise
        with self._cond:
            self._jobs, self._latest, self._fetching = jobs, number, False
            self._cond.notify_all()
            return jobs.get(job_id), number
