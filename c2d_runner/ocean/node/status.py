"""What a node's job status means: codes 0-71 with their texts, when a job is over, whether it worked.

A node ends every job whose algorithm ran at 71 "Job settling" (later 70 "Job finished"), also when
the algorithm crashed, was stopped or ran out of time: only `terminationDetails.exitCode` tells
these apart, so 70/71 count as success only with exit code 0. Other failures have their own codes
and set `dateFinished` at once; the node's own tests treat "dateFinished set" as "over".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from c2d_runner.wire import bounded_int, bounded_number

# ocean-node src/@types/C2D/C2D.ts C2DStatusText, verbatim (40 has a trailing space on the wire).
STATUS_TEXT = {
    0: "Job started",
    1: "Job queued",
    2: "Job expired in queue",
    10: "Pulling algorithm image",
    11: "Pulling algorithm image failed",
    12: "Building algorithm image",
    13: "Building algorithm image failed",
    14: "Image has vulnerabilities",
    20: "Configuring volumes",
    21: "Volume creation failed",
    22: "Container creation failed",
    30: "Provisioning data",
    31: "Data provisioning failed",
    32: "Algorithm provisioning failed",
    33: "Data upload to container failed",
    40: "Running algorithm ",
    41: "Failed to run algorithm",
    42: "Error: disk quota exceeded",
    50: "Filtering results",
    60: "Publishing results",
    61: "Failed to get outputs folder from container",
    62: "Failed to upload results to storage",
    70: "Job finished",
    71: "Job settling",
}
FINISHED = 70
SETTLING = 71
RAN = frozenset({FINISHED, SETTLING})
FAILURE_STATUSES = frozenset({2, 11, 13, 14, 21, 22, 31, 32, 33, 41, 42, 61, 62})
# Which log explains a failure: provisioning writes configuration.log, pulls and builds image.log.
REASON_LOG = {31: "configurationLog", 32: "configurationLog", 33: "configurationLog",
              11: "imageLog", 13: "imageLog", 14: "imageLog"}
EXIT_KILLED = 137  # SIGKILL: what a stop and a maxJobDuration kill both leave
_LOG_TAIL_LINES = 1  # the line that says what went wrong (the rest is paths)


def status_text(code: int | None) -> str:
    """The node's statusText for a code ("Unknown status" for codes it does not define)."""
    return STATUS_TEXT.get(code, "Unknown status") if code is not None else "no status"


@dataclass(frozen=True)
class NodeVerdict:
    """What a node job status means for the runner."""

    status: int | None
    status_text: str
    over: bool  # the job will not run any more (dateFinished set, or a failure code)
    succeeded: bool  # over, ran, and the algorithm exited 0
    exit_code: int | None
    oom_killed: bool
    stop_requested: int  # 0 none, 1 stopped through the API, 2 killed for running past maxJobDuration
    reason: str  # one line saying why it failed ("" while running or on success)
    date_created: float | None
    date_finished: float | None
    reason_log: str | None  # results type whose tail explains the failure (configurationLog...)

    @property
    def ran(self) -> bool:
        """The algorithm ran to its own end: over at 70/71, not stopped, killed or out of memory."""
        return self.over and self.status in RAN and not self.stop_requested and not self.oom_killed


def judge(job: Mapping[str, Any]) -> NodeVerdict:
    """The verdict for one job object of a node's status (or start, or stop) answer."""
    code = _int(job.get("status"))
    text = str(job.get("statusText") or status_text(code))
    finished = _epoch(job.get("dateFinished"))
    details = job.get("terminationDetails") if isinstance(job.get("terminationDetails"), Mapping) else {}
    exit_code = _int(details.get("exitCode"))
    oom = details.get("OOMKilled") is True
    over = finished is not None or code in FAILURE_STATUSES
    stop = _stop_kind(job, exit_code)
    succeeded = over and code in RAN and exit_code == 0 and not oom
    reason = ""
    if over and not succeeded:
        reason = _failure_reason(code, text, exit_code, oom, stop, job)
    return NodeVerdict(
        status=code, status_text=text, over=over, succeeded=succeeded, exit_code=exit_code,
        oom_killed=oom, stop_requested=stop, reason=reason, date_created=_epoch(job.get("dateCreated")),
        date_finished=finished, reason_log=REASON_LOG.get(code) if over and not succeeded else None,
    )


def with_log_tail(reason: str, log_text: str, lines: int = _LOG_TAIL_LINES) -> str:
    """`reason` followed by the last non-empty lines of a log (configuration.log for 31-33)."""
    tail = [line.strip() for line in log_text.splitlines() if line.strip()][-lines:]
    return f"{reason}: {' | '.join(tail)}" if tail else reason


def _failure_reason(code: int | None, text: str, exit_code: int | None, oom: bool, stop: int,
                    job: Mapping[str, Any]) -> str:
    if code not in RAN:
        return f"status {code} {text.strip()}" if code is not None else "the node reported no status"
    if oom:
        return f"the algorithm was killed for running out of memory (OOMKilled, exit code {exit_code})"
    if stop == 1:
        return f"the job was stopped on request (exit code {exit_code})"
    if stop == 2:
        return (f"the algorithm was killed after maxJobDuration {_int(job.get('maxJobDuration'))} s "
                f"(exit code {exit_code})")
    if exit_code is None:
        return f"the node reported no exit code for the algorithm (status {code} {text.strip()})"
    return f"the algorithm exited with code {exit_code}"


def _stop_kind(job: Mapping[str, Any], exit_code: int | None) -> int:
    """1 when a stop was requested, 2 when a 137 came at or past maxJobDuration, else 0."""
    if job.get("stopRequested") is True:
        return 1
    if exit_code != EXIT_KILLED:
        return 0
    start, stop = _epoch(job.get("algoStartTimestamp")), _epoch(job.get("algoStopTimestamp"))
    limit = _int(job.get("maxJobDuration"))
    if start and stop and limit and stop - start >= limit:
        return 2
    return 0


# Bounds on the node's numbers, checked before any arithmetic (wire.bounded_number).
_INT_LIMIT = 2**63
_EPOCH_LIMIT = 10**11  # seconds: the year 5138


def _int(value: Any) -> int | None:
    return bounded_int(value, _INT_LIMIT)


def _epoch(value: Any) -> float | None:
    """Epoch seconds from the node's strings of float seconds; None for null, "", "0" and nonsense."""
    number = bounded_number(value, _EPOCH_LIMIT)
    return float(number) if number is not None and number > 0 else None
