"""Run history: the runs under a runs folder, the `latest` link of each spec, and cleaning old runs.

Read-only apart from `point_latest` and `clean_runs`: listing and showing read run.json and never lock,
so they work on a read-only copy of runs/ (a CI artifact).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from c2d_runner.engine.journal import JOURNAL, RECORD, run_folder_busy
from c2d_runner.errors import InvalidInput

LATEST = "latest"


class RunNotFound(InvalidInput):
    """No run matches what was asked for."""


@dataclass(frozen=True)
class RunSummary:
    """One run folder as `c2d runs` lists it."""

    spec: str
    run_id: str
    folder: Path
    record: dict  # run.json; empty for a run that never finished (killed, or still going)

    @property
    def state(self) -> str:
        """passed | failed | unfinished."""
        if not self.record:
            return "unfinished"
        return "passed" if self.record.get("ok") else "failed"

    @property
    def counts(self) -> dict[str, int]:
        """Jobs per outcome."""
        out: dict[str, int] = {}
        for job in self.record.get("jobs", []):
            out[job.get("outcome", "?")] = out.get(job.get("outcome", "?"), 0) + 1
        return out


def point_latest(folder: Path) -> None:
    """Make `<spec folder>/latest` point at this run (relative, replaced atomically); best effort."""
    link = folder.parent / LATEST
    temp = folder.parent / f".{LATEST}-{folder.name}"
    try:
        temp.unlink(missing_ok=True)
        os.symlink(folder.name, temp, target_is_directory=True)
        os.replace(temp, link)
    except OSError:  # no symlinks here (some filesystems): the history still lists the runs
        temp.unlink(missing_ok=True)


def discard_run_folder(folder: Path) -> None:
    """Remove a run folder that holds nothing worth keeping; `latest` then names the newest run left."""
    shutil.rmtree(folder, ignore_errors=True)
    left = list_runs(folder.parent.parent, folder.parent.name)
    if left:
        point_latest(left[0].folder)
    else:
        (folder.parent / LATEST).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.parent.rmdir()  # the spec's folder, if this was its only run


def _record(folder: Path) -> dict:
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def list_runs(runs: Path, spec: str | None = None) -> list[RunSummary]:
    """Every run under `runs` (of one spec, if named), newest first."""
    found = []
    for journal in Path(runs).glob(f"{spec or '*'}/*/{JOURNAL}"):
        folder = journal.parent
        if folder.is_symlink():
            continue  # the `latest` link, not a run of its own
        found.append(RunSummary(folder.parent.name, folder.name, folder, _record(folder)))
    # Run ids start with a UTC timestamp, so their order is their age.
    return sorted(found, key=lambda r: r.run_id, reverse=True)


def find_run(runs: Path, ref: str = LATEST) -> RunSummary:
    """A run by id, `latest`, a spec name (its latest run), `<spec>/<id or latest>`, or a folder path."""
    path = Path(ref)
    if (path / JOURNAL).is_file():
        folder = path.resolve()
        return RunSummary(folder.parent.name, folder.name, folder, _record(folder))
    spec, _, which = ref.rpartition("/")
    every = list_runs(runs, spec or None)
    if not spec and which not in (LATEST, *(r.run_id for r in every)):
        spec, which, every = which, LATEST, list_runs(runs, which)  # a spec's name: its latest run
    matches = every if which == LATEST else [r for r in every if r.run_id == which]
    if not matches:
        raise RunNotFound(f"no run {ref!r} under {runs}")
    return matches[0]


def clean_runs(runs: Path, keep: int, spec: str | None = None) -> list[Path]:
    """Remove all but the newest `keep` runs of each spec (runs in progress are kept); the folders removed."""
    removed = []
    by_spec: dict[str, list[RunSummary]] = {}
    for run in list_runs(runs, spec):
        by_spec.setdefault(run.spec, []).append(run)
    for spec_runs in by_spec.values():
        for run in spec_runs[keep:]:
            if run_folder_busy(run.folder):
                continue
            shutil.rmtree(run.folder)
            removed.append(run.folder)
        point_latest(spec_runs[0].folder)  # the newest run is always kept unless keep is 0
        link = Path(runs) / spec_runs[0].spec / LATEST
        if link.is_symlink() and not link.exists():
            link.unlink()  # keep 0: no run left
    return removed
