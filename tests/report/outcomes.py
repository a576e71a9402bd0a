"""Hand-built run outcomes for the report tests."""
from pathlib import Path

from c2d_runner.engine.outcome import (ERROR, FAILED, PASSED, SKIPPED, ExpectationResult, JobOutcome,
                                       ResultRecord, RunOutcome, StatusChange)

FOLDER = Path("runs/demo/20261125-010203")
HISTORY = (StatusChange(0.1, 1, "Warming up"), StatusChange(0.5, 40, "Running algorithm"),
           StatusChange(1.9, 70, "Job finished"))


def results(job: str) -> tuple[ResultRecord, ...]:
    base = FOLDER / job
    return (ResultRecord(0, "stats.json", "output", base / "outputs" / "stats.json", 42, "ab" * 32),
            ResultRecord(1, "algorithm.log", "algorithmLog", base / "logs" / "algorithm.log", 1500, "cd" * 32))


def passed(name: str = "stats") -> JobOutcome:
    return JobOutcome(name=name, outcome=PASSED, job_id="0xjob1", environment="env-free", status=70,
                      status_text="Job finished", duration=1.8, history=HISTORY, results=results(name),
                      expectations=(ExpectationResult("status", True, "finished", "70 Job finished"),),
                      log_tail="done\n", folder=FOLDER / name)


def failed(name: str = "train", log_tail: str = "epoch 1\nepoch 2\nloss=nan\n") -> JobOutcome:
    return JobOutcome(name=name, outcome=FAILED, job_id="0xjob2", environment="env-free", status=70,
                      status_text="Job finished", duration=3.25, history=HISTORY, results=results(name),
                      expectations=(ExpectationResult("status", True, "finished", "70 Job finished"),
                                    ExpectationResult("outputs[stats.json].sha256", False, "ab12", "cd34"),
                                    ExpectationResult("logs.contains", False, '"done"', "not found")),
                      log_tail=log_tail, folder=FOLDER / name)


def errored(name: str = "big") -> JobOutcome:
    return JobOutcome(name=name, outcome=ERROR, job_id="0xjob3", environment="env-free", status=40,
                      status_text="Running algorithm", stopreq=1, duration=600.0,
                      error="timeout after 10m; the job was stopped\nstop answered 200",
                      log_tail="step 1\nstep 2\n", folder=FOLDER / name)


def skipped(name: str = "later") -> JobOutcome:
    return JobOutcome(name=name, outcome=SKIPPED, error="not selected by --only")


def run(*jobs: JobOutcome, problems: tuple[str, ...] = (), interrupted: bool = False,
        duration: float = 605.5) -> RunOutcome:
    return RunOutcome(spec_name="demo", spec_path=Path("specs/demo.yaml"), run_id="20261125-010203",
                      folder=FOLDER, target="mock (bundled world)", started_at="2026-11-25T01:02:03Z",
                      duration=duration, jobs=tuple(jobs), problems=problems, interrupted=interrupted)
