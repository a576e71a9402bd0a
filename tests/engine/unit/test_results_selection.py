"""Which results a run fetches (engine/results.py split_results) and what it records of the others."""
from __future__ import annotations

import dataclasses
import json

from c2d_runner.engine.jobrun import JobRun
from c2d_runner.engine.outcome import FAILED, PASSED, NotFetched, job_from_dict, job_to_dict
from c2d_runner.engine.results import EMPTY_SHA256, split_results
from c2d_runner.ocean.records import JobResult
from c2d_runner.spec.model import Expectations, OutputExpectation

from .fakes import FakeCompute, context, job_plan, resolved, status

# An Ocean Node's listing: the infrastructure's logs around the algorithm's log and outputs.
NODE = (JobResult(0, "imageLog", "image.log", 40), JobResult(1, "configurationLog", "configuration.log", 30),
        JobResult(2, "algorithmLog", "algorithm.log", 12), JobResult(3, "output", "stats.json", 9))
FILES = {0: b"pulled python:3.11\n", 1: b"provisioned\n", 2: b"stats: done\n", 3: b'{"n": 42}'}
# A Provider's: no exit code in the status, so its provisioning log is where the mock writes it.
PROVIDER = (JobResult(0, "output", "stats.json", 9), JobResult(1, "algorithmLog", "algorithm.log", 12),
            JobResult(2, "configrationLog", "configure.log", 40), JobResult(3, "publishLog", "publish.log", 20))


def types(items) -> list[str]:
    return [r.type for r in items]


def test_a_job_that_succeeded_fetches_its_outputs_and_its_algorithms_log_first():
    fetch, left = split_results(NODE, succeeded=True, exit_code_reported=True)
    assert (types(fetch), types(left)) == (["algorithmLog", "output"], ["imageLog", "configurationLog"])


def test_without_an_exit_code_in_the_status_the_provisioning_log_is_fetched_too():
    fetch, left = split_results(PROVIDER, succeeded=True, exit_code_reported=False)
    assert (types(fetch), types(left)) == (["output", "algorithmLog", "configrationLog"], ["publishLog"])


def test_a_job_the_provider_failed_or_every_asked_fetches_everything():
    assert split_results(NODE, succeeded=False, exit_code_reported=True) == (NODE, ())
    assert split_results(NODE, succeeded=True, exit_code_reported=True, every=True) == (NODE, ())


def test_unknown_result_types_are_fetched():
    odd = (JobResult(0, "traceLog", "trace.log"),)
    assert split_results(odd, succeeded=True, exit_code_reported=True) == (odd, ())


def run_job(tmp_path, final, expect=Expectations(), all_logs=False, files=FILES):
    compute = FakeCompute(script=[final], files=dict(files))
    ctx = dataclasses.replace(context(compute, tmp_path / "run"), all_logs=all_logs)
    outcome = JobRun(resolved(job_plan(expect=expect)), ctx).run()
    return outcome, compute, ctx.folder / "j"


def node_finished(listing=NODE, exit_code=0):
    return status(71, "Job settling", listing, exit_code=exit_code, succeeded=True, terminal=True)


def test_a_job_that_passed_leaves_the_infrastructures_logs_on_the_provider_and_says_so(tmp_path):
    outcome, compute, folder = run_job(tmp_path, node_finished())
    assert outcome.outcome == PASSED and [c[2] for c in compute.called("download")] == [2, 3]
    assert sorted(p.name for p in (folder / "logs").iterdir()) == ["algorithm.log"]
    assert outcome.not_fetched == (NotFetched(0, "image.log", "imageLog", 40),
                                   NotFetched(1, "configuration.log", "configurationLog", 30))
    again = job_from_dict(json.loads(json.dumps(job_to_dict(outcome))))  # as run.json keeps it
    assert again.not_fetched == outcome.not_fetched


def test_a_job_that_did_not_pass_gets_every_log(tmp_path):
    expect = Expectations(outputs=(OutputExpectation("stats.json", contains=("43",)),))
    outcome, compute, folder = run_job(tmp_path, node_finished(), expect)
    assert outcome.outcome == FAILED and outcome.not_fetched == ()
    assert sorted(c[2] for c in compute.called("download")) == [0, 1, 2, 3]
    assert sorted(p.name for p in (folder / "logs").iterdir()) == ["algorithm.log", "configuration.log", "image.log"]


def test_a_crashed_algorithm_gets_every_log(tmp_path):
    outcome, compute, _ = run_job(tmp_path, node_finished(exit_code=1))
    assert outcome.outcome == FAILED and outcome.exit_code == 1
    assert sorted(c[2] for c in compute.called("download")) == [0, 1, 2, 3]


def test_all_logs_fetches_the_infrastructures_logs_of_a_job_that_passed(tmp_path):
    outcome, compute, _ = run_job(tmp_path, node_finished(), all_logs=True)
    assert outcome.outcome == PASSED and outcome.not_fetched == ()
    assert [c[2] for c in compute.called("download")] == [0, 1, 2, 3]


def test_a_log_listed_empty_is_written_empty_without_a_request(tmp_path):
    listing = NODE[:2] + (JobResult(2, "algorithmLog", "algorithm.log", 0),) + NODE[3:]
    outcome, compute, folder = run_job(tmp_path, node_finished(listing))
    assert outcome.outcome == PASSED and [c[2] for c in compute.called("download")] == [3]
    assert (folder / "logs" / "algorithm.log").read_bytes() == b""
    [log] = [r for r in outcome.results if r.type == "algorithmLog"]
    assert (log.size, log.sha256) == (0, EMPTY_SHA256)


def test_an_output_listed_empty_is_still_fetched(tmp_path):
    listing = NODE[:3] + (JobResult(3, "output", "outputs.tar", 0),)
    outcome, compute, _ = run_job(tmp_path, node_finished(listing))
    assert [c[2] for c in compute.called("download")] == [2, 3]
