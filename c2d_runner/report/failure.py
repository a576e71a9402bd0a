"""A failed job told in text, the same way in the console summary, JUnit XML and pytest's report."""
from __future__ import annotations

from c2d_runner.engine.outcome import FAILED, JobOutcome

from ._text import first_line, last_lines, plural, printable, shorten

LOG_TAIL_LINES = 15  # lines of algorithm.log shown per failed job
PROVISIONING_TAIL_LINES = 5  # lines of configure.log shown for a job that failed at 31/32


def failure_reason(job: JobOutcome) -> str:
    """One line saying why the job did not pass: the expectations that did not hold, else its error or status."""
    failed = job.failed_expectations
    if job.outcome == FAILED and failed:
        names = ", ".join(printable(e.name) for e in failed)
        return f"{len(failed)} of {plural(len(job.expectations), 'expectation')} did not hold ({names})"
    if first_line(job.error):
        return printable(first_line(job.error))
    if job.status is not None:
        return f"ended with status {job.status} {printable(job.status_text)}".strip()
    return "could not be run to the end"


def failure_lines(job: JobOutcome, *, label: str | None = None, log_lines: int = LOG_TAIL_LINES) -> list[str]:
    """The headline `job NAME FAILED: reason`, then the job's facts, every failed expectation as
    expected vs got, the rest of its error and the tail of algorithm.log, indented under it.

    `label` replaces the upper-cased outcome in the headline (the console paints it).
    """
    lines = [f"job {printable(job.name)} {label or job.outcome.upper()}: {failure_reason(job)}"]
    facts = [f"status {job.status} {printable(job.status_text)}".strip() if job.status is not None else "",
             f"job id {job.job_id}" if job.job_id else "",
             f"{job.duration:.1f}s" if job.duration is not None else ""]
    if any(facts):
        lines.append(f"  ({', '.join(f for f in facts if f)})")
    failed = job.failed_expectations if job.outcome == FAILED else ()
    for e in failed:
        lines.append(f"  {printable(e.name)}")
        lines.append(f"    expected: {_value(e.expected)}")
        lines.append(f"    got:      {_value(e.got)}")
    error = printable(job.error).strip().splitlines()
    # Without failed expectations the error's first line is the headline's reason already.
    lines.extend(f"  {line}" for line in (error if failed else error[1:]))
    tail = last_lines(printable(job.log_tail), log_lines)
    provisioning = last_lines(printable(job.provisioning_tail), PROVISIONING_TAIL_LINES)
    if tail:
        lines.append(f"  algorithm.log (last {plural(len(tail), 'line')}):")
        lines.extend(f"    | {shorten(line, 300)}" for line in tail)
    elif job.job_id and not provisioning:  # it ran, so a missing log is worth saying
        lines.append("  algorithm.log: empty or absent")
    if provisioning:  # failed before or while provisioning (31/32): the reason is in configure.log
        lines.append(f"  configure.log (last {plural(len(provisioning), 'line')}):")
        lines.extend(f"    | {shorten(line, 300)}" for line in provisioning)
    return lines


def _value(text: str) -> str:
    # A multi-line value keeps its lines under the first, aligned after "expected: ".
    return printable(text).replace("\n", "\n" + " " * 14)
