"""Spec files as pytest collectors: one test item per job, failures told as expected-vs-got.

Imported by the plugin only when a spec file is collected. Each item runs its one job through the
engine's run_spec (RunOptions(only=...)), so -k, -x, --junitxml and xdist see single jobs; the
engine itself knows nothing of pytest.
"""
from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest

from c2d_runner.errors import C2DError, JobFailure
from c2d_runner.pytest_plugin import mock_pool, run_warnings, runs_folder, spec_settings


class JobFailed(JobFailure):
    """A spec job did not pass; carries the run and the job outcome for repr_failure."""

    def __init__(self, run: Any, job: Any):
        self.run = run
        self.job = job
        super().__init__(describe_failure(run, job))


class SpecFile(pytest.File):
    """A spec file: one item per job (matrix jobs expanded), or one failing item if it is invalid."""

    def collect(self):
        """Validate the spec once and yield its job items."""
        from c2d_runner.spec import check_file

        plan, problems = check_file(self.path)
        if problems:
            yield InvalidSpecItem.from_parent(self, name="validate", diagnostics=problems)
            return
        for job in plan.jobs:
            yield SpecJobItem.from_parent(self, name=job.name, plan=plan, job=job)


class SpecJobItem(pytest.Item):
    """One job of a spec, run on the session's mock for the spec's world (or on --c2d-target)."""

    def __init__(self, *, plan: Any, job: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.plan = plan
        self.job = job
        self.add_marker("c2d")
        # -k can then pick every job of a spec by its name, or every variant of a matrix job.
        self.keywords[plan.name] = True
        self.keywords[job.template] = True

    def runtest(self) -> None:
        """Run this job alone and fail with its expectations when it does not pass."""
        from c2d_runner.connect import run_spec
        from c2d_runner.engine.outcome import ERROR, FAILED, SKIPPED
        from c2d_runner.engine.runner import RunOptions
        from c2d_runner.interrupts import cancel_on_signals
        from c2d_runner.report import ConsoleProgress
        from c2d_runner.spec.model import MockTarget

        target = spec_settings(self.config).target or self.plan.target
        endpoint = mock_pool(self.config).endpoint(target) if isinstance(target, MockTarget) else None
        # The failure report says what matters; the console summary would only repeat it.
        with cancel_on_signals() as cancel:
            options = RunOptions(target=target, jobs=1, only=(self.job.name,), out=runs_folder(self.config),
                                 cancel=cancel)
            run = run_spec(self.plan, options, ConsoleProgress(io.StringIO(), mode="quiet"), endpoint=endpoint)
        run_warnings(self.config).update(run.warnings)
        job = run.jobs[0] if run.jobs else None
        self.user_properties.append(("c2d_run_folder", str(job.folder if job and job.folder else run.folder)))
        if job is not None and job.job_id:
            self.user_properties.append(("c2d_job_id", job.job_id))
        if run.interrupted:
            raise KeyboardInterrupt  # the runner took the Ctrl-C to stop the job; now pytest gets it
        if run.problems or job is None or job.outcome in (FAILED, ERROR):
            raise JobFailed(run, job)
        if job.outcome == SKIPPED:
            pytest.skip(job.error or "not run")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None):
        """Expectations as expected-vs-got and the log tail; library errors as one line, no traceback."""
        if isinstance(excinfo.value, JobFailed):
            return str(excinfo.value)
        if isinstance(excinfo.value, C2DError):
            return f"c2d: {type(excinfo.value).__name__}: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)  # a bug: the traceback is the report

    def reportinfo(self):
        """Where the job is written in the spec (its key under jobs:)."""
        return self.path, _job_line(self.path, self.job.template), f"{self.plan.name}::{self.job.name}"


class InvalidSpecItem(pytest.Item):
    """Stands for a spec that does not validate: it fails with every diagnostic."""

    def __init__(self, *, diagnostics: list, **kwargs: Any):
        super().__init__(**kwargs)
        self.diagnostics = diagnostics
        self.add_marker("c2d")

    def runtest(self) -> None:
        """Fail: the spec has problems, so none of its jobs can run."""
        from c2d_runner.spec import SpecInvalid

        raise SpecInvalid(self.diagnostics)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None):
        """Every problem as `file:line:col: error: message [path]`, paths relative to where pytest ran."""
        from c2d_runner.spec import SpecInvalid

        if not isinstance(excinfo.value, SpecInvalid):
            return super().repr_failure(excinfo, style=style)
        here = self.config.invocation_params.dir
        lines = [f"{_relative(d.file, here)}:{d.line}:{d.col}: error: {d.message} [{d.path}]"
                 for d in excinfo.value.diagnostics]
        count = len(lines)
        lines.append(f"invalid spec: {count} problem{'s' if count != 1 else ''}; no job was run")
        return "\n".join(lines)

    def reportinfo(self):
        """The first problem's line."""
        first = self.diagnostics[0] if self.diagnostics else None
        return self.path, (first.line - 1) if first else None, f"{self.path.name}: invalid spec"


def describe_failure(run: Any, job: Any) -> str:
    """A failed job told for a test report: verdict, expectations expected vs got, log tail, run folder."""
    from c2d_runner.report._text import printable
    from c2d_runner.report.failure import failure_lines

    # The first line is what pytest's short summary (-r) shows, so it names what went wrong.
    lines: list[str] = []
    if run.problems:
        lines.append(f"plan refused, nothing was started: {printable(run.problems[0])}")
        lines.extend(f"  {printable(p)}" for p in run.problems[1:])
    if job is not None:
        lines.extend(failure_lines(job))
    lines.append(f"run folder: {job.folder if job is not None and job.folder else run.folder}")
    return "\n".join(lines)


def _relative(file: str, here: Path) -> str:
    try:
        rel = os.path.relpath(file, here)
    except ValueError:  # another drive on Windows
        return file
    return file if rel.startswith(".." + os.sep + "..") else rel


def _job_line(path: Path, template: str) -> int | None:
    # The plan keeps no positions, and this is only a pointer for reports: the first line that
    # opens the job's key under `jobs:` is good enough (0-based, as pytest wants).
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    key = re.compile(r"^\s+[\"']?" + re.escape(template) + r"[\"']?\s*:")
    in_jobs = False
    for number, line in enumerate(text):
        if re.match(r"^jobs\s*:", line):
            in_jobs = True
        elif in_jobs and key.match(line):
            return number
    return None
