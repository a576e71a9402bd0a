"""JUnit XML for CI: one test suite per run, one test case per job."""
from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from c2d_runner.atomic import write_text
from c2d_runner.engine.outcome import ERROR, FAILED, PASSED, SKIPPED, JobOutcome, RunOutcome

from ._text import ANSI, first_line, outcome_counts, plural
from .failure import failure_lines, failure_reason

# Characters XML 1.0 forbids outright (most C0 controls, lone surrogates, U+FFFE/U+FFFF).
# ElementTree escapes markup but writes these through, and every JUnit consumer then rejects
# the whole file, so one stray byte in an algorithm log would hide the entire run from CI.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: object) -> str:
    """`text` as a string XML 1.0 can carry: ANSI colours removed, forbidden characters dropped."""
    return _NOT_XML.sub("", ANSI.sub("", str(text)))


def _seconds(value: float | None) -> str:
    return f"{value or 0.0:.3f}"


def _failure(case: ET.Element, job: JobOutcome) -> None:
    """<failure> for a job that ran but did not pass, <error> for one that could not be run to the end."""
    tag, kind = ("failure", "expectation") if job.outcome == FAILED else ("error", "error")
    element = ET.SubElement(case, tag, message=_clean(failure_reason(job)), type=kind)
    element.text = _clean("\n".join(failure_lines(job)))


def _system_out(job: JobOutcome) -> str:
    lines = [
        f"job id: {job.job_id or '-'}",
        f"environment: {job.environment or '-'}",
        f"status: {'-' if job.status is None else job.status} {job.status_text}".rstrip(),
    ]
    if job.stopreq:
        lines.append(f"stop requested: {job.stopreq}")
    if job.duration is not None:
        lines.append(f"duration: {job.duration:.3f}s")
    if job.folder is not None:
        lines.append(f"folder: {job.folder}")
    if job.history:
        lines.append("status history:")
        lines.extend(f"  {change.at:9.3f}s  {change.status:>3} {change.text}" for change in job.history)
    if job.results:
        lines.append(f"results ({len(job.results)}):")
        lines.extend(f"  [{r.index}] {r.filename} ({r.type}, {plural(r.size, 'byte')}) sha256:{r.sha256}"
                     for r in job.results)
    if job.expectations:
        lines.append("expectations:")
        lines.extend(f"  {e.describe()}" for e in job.expectations)
    return "\n".join(lines) + "\n"


def _job_case(suite: ET.Element, run: RunOutcome, job: JobOutcome) -> None:
    case = ET.SubElement(suite, "testcase", classname=_clean(run.spec_name), name=_clean(job.name),
                         time=_seconds(job.duration))
    if job.outcome in (FAILED, ERROR):
        _failure(case, job)
    elif job.outcome == SKIPPED:
        skipped = ET.SubElement(case, "skipped")
        if job.error:
            skipped.set("message", _clean(first_line(job.error)))
    if job.outcome != SKIPPED:
        ET.SubElement(case, "system-out").text = _clean(_system_out(job))


def _plan_case(suite: ET.Element, run: RunOutcome) -> None:
    case = ET.SubElement(suite, "testcase", classname=_clean(run.spec_name), name="plan", time=_seconds(0))
    message = f"{plural(len(run.problems), 'plan problem')}; nothing was started"
    element = ET.SubElement(case, "error", message=message, type="plan")
    element.text = _clean("\n".join(run.problems))


def _totals(runs) -> dict[str, str]:
    counts = {PASSED: 0, FAILED: 0, ERROR: 0, SKIPPED: 0}
    plan_errors = 0
    for run in runs:
        plan_errors += 1 if run.problems else 0
        for outcome, count in outcome_counts(run).items():
            counts[outcome] += count
    return {
        "tests": str(sum(len(run.jobs) for run in runs) + plan_errors),
        "failures": str(counts[FAILED]),
        "errors": str(counts[ERROR] + plan_errors),
        "skipped": str(counts[SKIPPED]),
        "time": _seconds(sum(run.duration for run in runs)),
    }


def junit_xml(run) -> str:
    """The run (or a list of runs: `c2d run` on several specs) as a JUnit XML document: a
    <testsuites> root holding one <testsuite> per run."""
    runs = list(run) if isinstance(run, (list, tuple)) else [run]
    # The <testsuites> wrapper is what pytest, Jenkins and GitLab all read; the counts are
    # repeated on it because some consumers only look at the root.
    name = runs[0].spec_name if len(runs) == 1 else "c2d"
    root = ET.Element("testsuites", name=_clean(name), **_totals(runs))
    for one in runs:
        _suite(root, one)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(root: ET.Element, run: RunOutcome) -> None:
    suite = ET.SubElement(root, "testsuite", name=_clean(run.spec_name), timestamp=_clean(run.started_at),
                          **_totals([run]))
    properties = ET.SubElement(suite, "properties")
    for name, value in (("run_id", run.run_id), ("target", run.target), ("spec", run.spec_path),
                        ("folder", run.folder), ("interrupted", str(run.interrupted).lower())):
        ET.SubElement(properties, "property", name=name, value=_clean(value))
    for warning in run.warnings:
        ET.SubElement(properties, "property", name="warning", value=_clean(warning))
    if run.problems:
        _plan_case(suite, run)
    for job in run.jobs:
        _job_case(suite, run, job)


def write_junit(run, path: str | os.PathLike[str]) -> Path:
    """Write `junit_xml(run)` to `path` atomically and return the path."""
    return write_text(path, junit_xml(run))
