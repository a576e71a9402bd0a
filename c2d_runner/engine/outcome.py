"""What a run produced: frozen records the reports, the lock and the pytest plugin read."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Job outcomes, from the runner's point of view (not the provider's status codes).
PASSED = "passed"  # reached its expected status and every expectation held
FAILED = "failed"  # ran, but the status or an expectation was not what the spec says
ERROR = "error"  # could not be run to the end: plan refused, provider error, timeout, interrupted
SKIPPED = "skipped"  # not run (e.g. --only, or the run was interrupted before it started)


@dataclass(frozen=True)
class StatusChange:
    """One status the job was seen in, with the seconds since the run started."""

    at: float
    status: int
    text: str


@dataclass(frozen=True)
class ResultRecord:
    """One downloaded result file."""

    index: int
    filename: str
    type: str  # output | algorithmLog | configrationLog | ...
    path: Path  # where it was written, inside the job folder
    size: int
    sha256: str


@dataclass(frozen=True)
class NotFetched:
    """A result the provider lists that the run left there (a log of the infrastructure of a job that
    passed): `c2d results JOB_ID` fetches it, while the provider keeps it."""

    index: int
    filename: str
    type: str
    size: int | None  # bytes, where the provider says


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation checked: what was expected, what was found, and whether it held."""

    name: str  # e.g. "status", "outputs[stats.json].sha256", "logs.contains"
    ok: bool
    expected: str
    got: str

    def describe(self) -> str:
        """A one-line human explanation."""
        verdict = "ok" if self.ok else "FAILED"
        return f"{self.name}: expected {self.expected}, got {self.got} [{verdict}]"


@dataclass(frozen=True)
class JobOutcome:
    """The end of one job of the spec."""

    name: str
    outcome: str  # PASSED | FAILED | ERROR | SKIPPED
    job_id: str | None = None
    environment: str | None = None
    status: int | None = None  # the provider's last numeric status
    status_text: str = ""
    stopreq: int = 0
    duration: float | None = None  # seconds from start request to terminal status
    history: tuple[StatusChange, ...] = ()
    results: tuple[ResultRecord, ...] = ()
    expectations: tuple[ExpectationResult, ...] = ()
    error: str = ""  # why it is ERROR (or extra context)
    infrastructure: bool = False  # ERROR because a service could not be reached or answered 5xx
    log_tail: str = ""  # the end of algorithm.log, for reports
    folder: Path | None = None
    exit_code: int | None = None  # the algorithm's, where the target reports one
    provisioning_tail: str = ""  # the end of configure.log when the job failed before its algorithm ran (31/32)
    not_fetched: tuple[NotFetched, ...] = ()  # results left on the provider (engine/results.py split_results)

    @property
    def failed_expectations(self) -> tuple[ExpectationResult, ...]:
        """The expectations that did not hold."""
        return tuple(e for e in self.expectations if not e.ok)


@dataclass(frozen=True)
class RunOutcome:
    """A whole run of a spec."""

    spec_name: str
    spec_path: Path
    run_id: str
    folder: Path
    target: str  # human description of where it ran
    started_at: str  # ISO 8601 UTC
    duration: float
    jobs: tuple[JobOutcome, ...] = field(default_factory=tuple)
    problems: tuple[str, ...] = ()  # plan-time problems (nothing was started when present)
    interrupted: bool = False
    warnings: tuple[str, ...] = ()  # about the whole run, e.g. a mock without a sandbox

    @property
    def ok(self) -> bool:
        """True when every job that ran passed and nothing was refused or interrupted."""
        return (not self.problems and not self.interrupted
                and all(j.outcome in (PASSED, SKIPPED) for j in self.jobs))

    @property
    def infrastructure_failure(self) -> bool:
        """True when the run failed only because services could not be reached (exit code 3)."""
        bad = [j for j in self.jobs if j.outcome not in (PASSED, SKIPPED)]
        return not self.ok and not self.problems and not self.interrupted and bool(bad) and \
            all(j.infrastructure for j in bad)

    @property
    def exit_code(self) -> int:
        """The README's exit code for the run: 0 passed, 3 failed only for want of a service, else 1."""
        from c2d_runner import exitcodes

        if self.ok:
            return exitcodes.OK
        return exitcodes.INFRASTRUCTURE if self.infrastructure_failure else exitcodes.FAILED


def job_to_dict(job: JobOutcome) -> dict:
    """A JSON-ready dict of a JobOutcome (paths as text)."""
    from dataclasses import asdict

    data = asdict(job)
    data["folder"] = str(job.folder) if job.folder else None
    for result in data["results"]:
        result["path"] = str(result["path"])
    return data


def job_from_dict(data: dict) -> JobOutcome:
    """The JobOutcome that job_to_dict wrote."""
    return JobOutcome(
        **{k: v for k, v in data.items() if k not in ("history", "results", "expectations", "folder", "not_fetched")},
        history=tuple(StatusChange(**h) for h in data.get("history", ())),
        results=tuple(ResultRecord(**{**r, "path": Path(r["path"])}) for r in data.get("results", ())),
        expectations=tuple(ExpectationResult(**e) for e in data.get("expectations", ())),
        folder=Path(data["folder"]) if data.get("folder") else None,
        not_fetched=tuple(NotFetched(**r) for r in data.get("not_fetched", ())),
    )
