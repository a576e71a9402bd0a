"""One job from start to verdict, without sockets: timeouts, expectations, results and exit codes."""
import json

import pytest

from c2d_runner import exitcodes
from c2d_runner.engine.jobrun import JobRun
from c2d_runner.engine.outcome import ERROR, FAILED, PASSED, SKIPPED, JobOutcome, RunOutcome
from c2d_runner.ocean.errors import ProviderError
from c2d_runner.ocean.records import JobResult
from c2d_runner.spec.model import Expectations, OutputExpectation

from .fakes import JOB_ID, FakeCompute, context, job_plan, resolved, status

LISTING = (JobResult(0, "output", "stats.json", 9), JobResult(1, "algorithmLog", "algorithm.log"),
           JobResult(2, "configrationLog", "configure.log"))
FILES = {0: b'{"n": 42}', 1: b"stats: done\n", 2: b"configured\n"}


def run_job(tmp_path, script, expect=Expectations(), files=FILES, **compute_args):
    compute = FakeCompute(script=list(script), files=dict(files), **compute_args)
    ctx = context(compute, tmp_path / "run")
    outcome = JobRun(resolved(job_plan(expect=expect)), ctx).run()
    return outcome, compute, ctx


def test_a_finished_job_passes_and_its_results_land_in_outputs_and_logs(tmp_path):
    expect = Expectations(outputs=(OutputExpectation("stats.json", contains=("42",)),), logs_contains=("done",))
    outcome, compute, ctx = run_job(tmp_path, [status(1), status(40), status(70, "Job finished", LISTING)], expect)
    assert outcome.outcome == PASSED and outcome.error == ""
    assert (outcome.status, outcome.status_text, outcome.job_id) == (70, "Job finished", JOB_ID)
    assert [h.status for h in outcome.history] == [1, 40, 70]
    folder = ctx.folder / "j"
    assert json.loads((folder / "outputs" / "stats.json").read_text()) == {"n": 42}
    assert sorted(p.name for p in (folder / "logs").iterdir()) == ["algorithm.log", "configure.log"]
    assert outcome.log_tail == "stats: done\n"
    assert [(r.index, r.type) for r in outcome.results] == [(0, "output"), (1, "algorithmLog"), (2, "configrationLog")]
    assert compute.called("stop") == []


def test_an_expectation_that_does_not_hold_fails_the_job(tmp_path):
    expect = Expectations(outputs=(OutputExpectation("missing.json"),), logs_not_contains=("done",))
    outcome, _, _ = run_job(tmp_path, [status(70, "Job finished", LISTING)], expect)
    assert outcome.outcome == FAILED
    assert [e.name for e in outcome.failed_expectations] == ["outputs[missing.json]", "logs.not_contains"]


def test_a_failed_provider_status_fails_the_status_expectation(tmp_path):
    outcome, _, _ = run_job(tmp_path, [status(1), status(32, "Algorithm provisioning failed")])
    assert outcome.outcome == FAILED and outcome.status == 32
    [failed] = outcome.failed_expectations
    assert failed.name == "status" and failed.got.startswith("32")


def test_the_clients_verdict_decides_not_the_status_number(tmp_path):
    # An Ocean Node ends a crashed algorithm at 70 too; its client says it did not succeed, and why.
    crashed = status(70, "Job finished", LISTING, succeeded=False, exit_code=3,
                     reason="the algorithm exited with code 3")
    outcome, _, _ = run_job(tmp_path, [status(40), crashed])
    assert outcome.outcome == FAILED
    status_check, exit_check = outcome.failed_expectations
    assert status_check.got == "70 Job finished, exit code 3 (the algorithm exited with code 3)"
    assert (exit_check.name, exit_check.expected, exit_check.got) == ("exit_code", "0", "3")
    assert outcome.exit_code == 3
    settling = status(71, "Job settling", LISTING, terminal=True, succeeded=True, exit_code=0)
    assert run_job(tmp_path / "node", [settling])[0].outcome == PASSED


def test_a_job_may_be_expected_to_fail(tmp_path):
    outcome, _, _ = run_job(tmp_path, [status(31, "Data provisioning failed")], Expectations(status="failed"))
    assert outcome.outcome == PASSED


def test_timeout_stops_the_job_and_reports_the_last_status(tmp_path):
    outcome, compute, ctx = run_job(tmp_path, [status(1, "Warming up"), status(40, "Running algorithm ")])
    assert compute.called("stop") == [("stop", JOB_ID)]
    assert outcome.outcome == ERROR and not outcome.infrastructure
    assert outcome.error == "timed out after 60 s; stopped at the provider; last status 40 Running algorithm"
    assert (outcome.status, outcome.status_text) == (40, "Running algorithm ")  # from the history
    assert [e["reason"] for e in ctx.journal.events() if e["event"] == "stopped"] == ["timeout"]
    assert [c[2] for c in compute.called("wait")] == [60.0, 15.0]  # then a grace wait for the logs


@pytest.mark.parametrize("error, infrastructure", [
    (ProviderError("gone", status=None), True),  # no answer: the provider died mid-run (exit 3 if alone)
    (ProviderError("busy", status=503), True),
    (ProviderError("no such job", status=404), False),  # an answer: the provider refused
])
def test_a_provider_lost_while_waiting_stops_the_job_and_says_whose_fault(tmp_path, error, infrastructure):
    class Lost(FakeCompute):
        def wait(self, *args, **kwargs):
            raise error

    compute = Lost()
    outcome = JobRun(resolved(), context(compute, tmp_path)).run()
    assert outcome.outcome == ERROR and outcome.infrastructure is infrastructure and outcome.job_id == JOB_ID
    assert compute.called("stop") == [("stop", JOB_ID)]  # a job we started must not run on unwatched


def test_an_interrupted_job_is_stopped_at_the_provider(tmp_path):
    from c2d_runner.engine.jobrun import Interrupted

    class Cancelled(FakeCompute):
        def wait(self, *args, **kwargs):
            raise Interrupted()

    compute = Cancelled()
    outcome = JobRun(resolved(), context(compute, tmp_path)).run()
    assert outcome.outcome == ERROR and outcome.error == "interrupted; the job was stopped at the provider"
    assert compute.called("stop") == [("stop", JOB_ID)]


def test_a_result_the_provider_cannot_serve_is_an_infrastructure_error(tmp_path):
    class Unserved(FakeCompute):
        def download_result(self, *args, **kwargs):
            raise ProviderError("down", status=503)

    compute = Unserved(script=[status(70, "Job finished", LISTING[:1])])
    outcome = JobRun(resolved(), context(compute, tmp_path)).run()
    assert outcome.outcome == ERROR and outcome.infrastructure
    assert outcome.error.startswith("result 0 (stats.json) could not be downloaded")


def test_two_results_with_one_name_do_not_overwrite_each_other(tmp_path):
    listing = (JobResult(0, "output", "out.txt"), JobResult(1, "output", "out.txt"))
    outcome, _, ctx = run_job(tmp_path, [status(70, "Job finished", listing)], files={0: b"a", 1: b"b"})
    assert [r.path.name for r in outcome.results] == ["out.txt", "1-out.txt"]
    assert (ctx.folder / "j" / "outputs" / "1-out.txt").read_bytes() == b"b"


def job(outcome: str, infrastructure: bool = False) -> JobOutcome:
    return JobOutcome(name=outcome, outcome=outcome, infrastructure=infrastructure)


@pytest.mark.parametrize("jobs, problems, interrupted, code", [
    ([job(PASSED), job(SKIPPED)], (), False, exitcodes.OK),
    ([job(PASSED), job(FAILED)], (), False, exitcodes.FAILED),
    ([job(ERROR)], (), False, exitcodes.FAILED),  # e.g. a timeout
    ([job(PASSED), job(ERROR, infrastructure=True)], (), False, exitcodes.INFRASTRUCTURE),
    ([job(ERROR, infrastructure=True), job(FAILED)], (), False, exitcodes.FAILED),  # a real failure wins
    ([], ("job j: no free environment",), False, exitcodes.FAILED),  # a refused plan
    ([job(PASSED)], (), True, exitcodes.FAILED),  # interrupted
])
def test_the_run_exit_code(tmp_path, jobs, problems, interrupted, code):
    run = RunOutcome(spec_name="s", spec_path=tmp_path, run_id="r", folder=tmp_path, target="fake",
                     started_at="now", duration=1.0, jobs=tuple(jobs), problems=problems, interrupted=interrupted)
    assert run.exit_code == code
