"""Find an earlier run's record of a job, so `c2d status JOB_ID` needs only the job id."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from c2d_runner.engine.journal import MOCK_STATE, Journal
from c2d_runner.errors import InvalidInput
from c2d_runner.spec.model import KeySource, MockTarget, Target


class JobRecordNotFound(InvalidInput, LookupError):
    """No run under the given folder started that job."""


@dataclass(frozen=True)
class JobRecord:
    """Where a job ran and with what, as its run's journal recorded it."""

    job_id: str
    job_name: str
    run_folder: Path
    target: Target
    provider: str
    dataset_did: str
    service_id: str
    consumer: KeySource

    @property
    def mock_state(self) -> Path | None:
        """The embedded mock's state folder, for a job that ran on it."""
        return self.run_folder / MOCK_STATE if isinstance(self.target, MockTarget) else None


def find_job(job_id: str, runs: Path) -> JobRecord:
    """The newest run under `runs` whose journal started `job_id`."""
    from c2d_runner.engine.runner import target_from_record

    # Run ids start with a UTC timestamp, so sorting on the run folder's name (not the spec's) is by age.
    journals = sorted((p for p in Path(runs).glob("*/*/journal.jsonl") if not p.parent.is_symlink()),
                      key=lambda p: p.parent.name, reverse=True)  # not the `latest` links
    for journal_path in journals:
        journal = Journal(journal_path.parent)
        events = journal.events()
        started = [e for e in events if e.get("event") == "started" and e.get("job_id") == job_id]
        if not started:
            continue
        name = started[-1]["job"]
        header = journal.header() or {}
        resolved = next((e for e in events if e.get("event") == "starting" and e.get("job") == name), {})
        consumer = header.get("consumer") or {}
        return JobRecord(job_id=job_id, job_name=name, run_folder=journal_path.parent,
                         target=target_from_record(header["target"]), provider=started[-1]["provider"],
                         dataset_did=resolved.get("dataset", ""), service_id=resolved.get("service", ""),
                         consumer=KeySource(env=consumer.get("env"),
                                            file=Path(consumer["file"]) if consumer.get("file") else None))
    raise JobRecordNotFound(f"no run under {runs} started job {job_id}")
