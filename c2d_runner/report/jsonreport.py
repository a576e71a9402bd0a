"""The JSON report: every field of the run's records, plus a summary, for machines."""
from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
from pathlib import Path, PurePath
from typing import Any

from c2d_runner.atomic import write_text
from c2d_runner.engine.outcome import ERROR, FAILED, PASSED, SKIPPED, RunOutcome

from ._text import outcome_counts

REPORT_VERSION = 1


def _plain(value: Any) -> Any:
    """`value` as JSON-ready data: dataclasses to dicts, tuples to lists, paths to strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or Infinity; json.dumps would write invalid JSON
    return value


def report_dict(run: RunOutcome) -> dict[str, Any]:
    """The run as a JSON-ready dict: its fields, `ok`, and a `summary` of job outcomes."""
    counts = outcome_counts(run)
    report = {"report_version": REPORT_VERSION, **_plain(run), "ok": run.ok}
    report["summary"] = {"passed": counts[PASSED], "failed": counts[FAILED], "error": counts[ERROR],
                         "skipped": counts[SKIPPED], "ok": run.ok}
    return report


def runs_report_dict(runs) -> dict[str, Any]:
    """Several runs (`c2d run` on several specs) as one JSON-ready dict: each run's report and a summary of all."""
    reports = [report_dict(run) for run in runs]
    summary = {key: sum(r["summary"][key] for r in reports) for key in ("passed", "failed", "error", "skipped")}
    ok = all(r["ok"] for r in reports)
    return {"report_version": REPORT_VERSION, "runs": reports, "ok": ok, "summary": {**summary, "ok": ok}}


def json_text(run) -> str:
    """`report_dict(run)` serialised, indented, with a final newline (a list of runs: `runs_report_dict`)."""
    data = runs_report_dict(run) if isinstance(run, (list, tuple)) else report_dict(run)
    # ensure_ascii keeps the output valid whatever a log tail holds (lone surrogates from
    # undecodable bytes included) and whatever encoding stdout has.
    return json.dumps(data, indent=2, ensure_ascii=True, allow_nan=False) + "\n"


def write_json(run, path: str | os.PathLike[str]) -> Path | None:
    """Write the JSON report to `path` atomically ("-" for stdout); return the path written."""
    text = json_text(run)
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return None
    return write_text(path, text)
