"""Send a start so that the job runs exactly once, over a link that loses requests and answers.

A start is the one call that must never be repeated blindly: it may create (and pay for) a job.
What a failed start says decides what happens next:

- refused (4xx but 429): nothing was started; the error is the job's.
- not started (429 or 503, or nothing sent: connection refused): wait and send it again.  The
  HTTP client already honoured Retry-After for these; what reaches here is what it gave up on.
- maybe started (no answer after sending, a timeout, another 5xx): list the consumer's jobs until
  the provider says whether the job exists, within a bounded time.  Found: that is the job.
  Known absent: send again.  Cannot know: StartUnknown, the job is "unknown, possibly running",
  and the journal's "starting" event (written before the first send) lets `--resume` find it.

Pure control flow: sending, listing, sleeping and the clock are passed in, so it is tested without
sockets.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from c2d_runner import exitcodes
from c2d_runner.ocean.errors import OceanError, ServiceError  # light: no requests

NOT_STARTED_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class StartPolicy:
    """How often a start is sent at most, and how long a lost answer is reconciled."""

    sends: int = 6
    reconcile_seconds: float = 60.0
    backoff: float = 0.5
    backoff_max: float = 8.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt` + 1 (1-based)."""
        return min(self.backoff * (2 ** (attempt - 1)), self.backoff_max)


class StartUnknown(OceanError):
    """A start's answer was lost and the provider could not say, in time, whether the job exists."""

    exit_code = exitcodes.INFRASTRUCTURE


def maybe_started(exc: ServiceError) -> bool:
    """True when a failed start may have created the job (it was sent and no verdict came back)."""
    if exc.status is None:
        return exc.uncertain
    # A 5xx the client knows for a handler's refusal (an Ocean Node's start answers some with 500)
    # carries the refusal's exit code: nothing was started.
    return exc.status >= 500 and exc.status not in NOT_STARTED_STATUSES and exc.exit_code == exitcodes.INFRASTRUCTURE


def not_started(exc: ServiceError) -> bool:
    """True when a failed start certainly created nothing and may be sent again."""
    if exc.status is None:
        return not exc.uncertain
    return exc.status in NOT_STARTED_STATUSES


def start_once(send: Callable[[], str], lookup: Callable[[], str | None], *, policy: StartPolicy,
               sleep: Callable[[float], None], clock: Callable[[], float],
               note: Callable[[str], None] = lambda message: None) -> str:
    """The job id of a start sent at most `policy.sends` times and never while it may exist.

    `lookup` lists the consumer's jobs: the id of the job these orders started, None when the
    provider answered and has no such job; it raises OceanError when the provider cannot be asked.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return send()
        except ServiceError as exc:
            last = attempt >= policy.sends
            if maybe_started(exc):
                note(f"start answer lost ({exc.detail}); asking the provider whether the job exists")
                found = reconcile(lookup, f"the answer to the start was lost ({exc.detail})", policy=policy,
                                  sleep=sleep, clock=clock)
                if found:
                    note(f"found job {found}: the lost start had taken effect")
                    return found
            elif not not_started(exc):
                raise  # refused: the provider says why, and nothing was started
            if last:
                raise
            note(f"start not taken ({exc.detail}); sending it again")
            sleep(policy.delay(attempt))


def reconcile(lookup: Callable[[], str | None], lost: str, *, policy: StartPolicy,
              sleep: Callable[[float], None], clock: Callable[[], float]) -> str | None:
    """Ask (again and again, for at most policy.reconcile_seconds) which job a lost start created."""
    deadline = clock() + policy.reconcile_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            return lookup()
        except OceanError as exc:
            problem = exc
        wait = policy.delay(attempt)
        if clock() + wait > deadline:
            raise StartUnknown(
                f"{lost} and for {policy.reconcile_seconds:g} s the "
                f"provider could not be asked whether the job exists (last: {problem}): unknown, possibly "
                f"running; `c2d run --resume` on this run folder finds it")
        sleep(wait)
