"""Expectations are checked purely from status, duration and the downloaded files."""
import json
from pathlib import Path

import pytest

from c2d_runner.engine.expect import check_expectations
from c2d_runner.engine.outcome import ResultRecord
from c2d_runner.ocean.messages import parse_job_status
from c2d_runner.spec.model import Expectations, JsonExpectation, OutputExpectation, freeze
from c2d_runner.wire import status_text


def record(tmp_path: Path, name: str, content: bytes) -> ResultRecord:
    import hashlib

    path = tmp_path / name
    path.write_bytes(content)
    return ResultRecord(0, name, "output", path, len(content), hashlib.sha256(content).hexdigest())


def at(code: int, stopreq: int = 0):
    """The JobStatus the client makes of a Python Provider job object with this status."""
    return parse_job_status({"jobId": "j", "status": code, "statusText": status_text(code), "stopreq": stopreq})


def failed(results):
    return [r.describe() for r in results if not r.ok]


def test_status_and_duration():
    expect = Expectations(status="finished", max_duration=1.0)
    assert failed(check_expectations(expect, final=at(70), duration=0.5, outputs={}, log_text="")) == []
    assert failed(check_expectations(expect, final=at(31), duration=2.0, outputs={}, log_text="")) == [
        "status: expected finished (70), got 31 Data provisioning failed [FAILED]",
        "duration: expected at most 1s, got 2s [FAILED]",
    ]
    assert failed(check_expectations(Expectations(status="failed"), final=at(32), duration=1, outputs={},
                                      log_text="")) == []


def test_outputs_presence_hash_size_contains(tmp_path):
    out = record(tmp_path, "r.txt", b"hello world\n")
    expect = Expectations(outputs=(
        OutputExpectation("r.txt", sha256=out.sha256, min_size=1, max_size=100, contains=("hello",)),
        OutputExpectation("gone.txt", present=False),
        OutputExpectation("missing.txt"),
        OutputExpectation("r.txt", sha256="0" * 64, contains=("bye",), max_size=3),
    ))
    results = check_expectations(expect, final=at(70), duration=1, outputs={"r.txt": out}, log_text="")
    assert failed(results) == [
        "outputs[missing.txt]: expected present, got missing [FAILED]",
        f"outputs[r.txt].sha256: expected {'0' * 64}, got {out.sha256} [FAILED]",
        "outputs[r.txt].size: expected 0..3 bytes, got 12 bytes [FAILED]",
        "outputs[r.txt].contains: expected text containing 'bye', got not found [FAILED]",
    ]


def test_json_values(tmp_path):
    out = record(tmp_path, "m.json", json.dumps({"acc": 0.93, "rows": 150, "cols": [{"name": "a"}],
                                                  "flag": True}).encode())
    checks = (JsonExpectation("acc", min=0.9, max=1.0), JsonExpectation("rows", equals=150, has_equals=True),
              JsonExpectation("cols.0.name", equals="a", has_equals=True), JsonExpectation("nope", exists=False),
              JsonExpectation("acc", min=0.95), JsonExpectation("flag", min=0),
              JsonExpectation("cols", equals=freeze([{"name": "b"}]), has_equals=True),
              JsonExpectation("rows", exists=False))
    results = check_expectations(Expectations(outputs=(OutputExpectation("m.json", json=checks),)), final=at(70),
                                 duration=1, outputs={"m.json": out}, log_text="")
    assert failed(results) == [
        "outputs[m.json].json[acc]: expected a number >= 0.95, got 0.93 [FAILED]",
        "outputs[m.json].json[flag]: expected a number >= 0, got true [FAILED]",
        'outputs[m.json].json[cols]: expected [{"name": "b"}], got [{"name": "a"}] [FAILED]',
        "outputs[m.json].json[rows]: expected absent, got present [FAILED]",
    ]


def test_invalid_json_output(tmp_path):
    out = record(tmp_path, "m.json", b"{not json")
    results = check_expectations(Expectations(outputs=(OutputExpectation("m.json", json=(JsonExpectation("a", exists=True),)),)),
                                 final=at(70), duration=1, outputs={"m.json": out}, log_text="")
    [bad] = [r for r in results if not r.ok]
    assert bad.name == "outputs[m.json].json" and bad.got.startswith("invalid JSON")


@pytest.mark.parametrize("log,ok", [("all done\n", True), ("Traceback: boom\n", False)])
def test_logs(log, ok):
    expect = Expectations(logs_contains=("done",) if ok else (), logs_not_contains=("Traceback",))
    results = check_expectations(expect, final=at(70), duration=1, outputs={}, log_text=log)
    assert all(r.ok for r in results) is ok


def test_a_stopped_job_is_not_finished():
    results = check_expectations(Expectations(), final=at(70, stopreq=2), duration=1, outputs={}, log_text="")
    assert failed(results) == ["status: expected finished (70), got 70 Job finished, killed at the environment's "
                               "maxJobDuration (stopreq 2) [FAILED]"]


def test_json_equality_keeps_booleans_apart_from_numbers(tmp_path):
    out = record(tmp_path, "m.json", json.dumps({"flag": True, "one": 1, "list": [1, True]}).encode())
    checks = (JsonExpectation("flag", equals=1, has_equals=True), JsonExpectation("one", equals=True, has_equals=True),
              JsonExpectation("list", equals=freeze([1, 1]), has_equals=True),
              JsonExpectation("one", equals=1.0, has_equals=True))
    results = check_expectations(Expectations(outputs=(OutputExpectation("m.json", json=checks),)), final=at(70),
                                 duration=1, outputs={"m.json": out}, log_text="")
    assert [r.ok for r in results[2:]] == [False, False, False, True]


def test_exit_code_expectations_on_a_target_that_reports_one():
    from c2d_runner.ocean.records import JobStatus

    def check(expect, final):
        return failed(check_expectations(expect, final=final, duration=1, outputs={}, log_text="",
                                         exit_code=final.exit_code))

    crashed = JobStatus("j", 71, "Job settling", terminal=True, succeeded=False, exit_code=3,
                        reason="the algorithm exited with code 3")
    assert check(Expectations(), crashed) == [
        "status: expected finished (70), got 71 Job settling, exit code 3 (the algorithm exited with code 3) [FAILED]",
        "exit_code: expected 0, got 3 [FAILED]"]
    assert check(Expectations(exit_code=3), crashed) == []  # ran to its end with the expected code
    assert check(Expectations(exit_code=2), crashed) == ["exit_code: expected 2, got 3 [FAILED]"]
    provisioning = JobStatus("j", 31, "Data provisioning failed", terminal=True)
    assert check(Expectations(exit_code=0), provisioning) == [
        "status: expected finished (ran to its end), got 31 Data provisioning failed [FAILED]",
        "exit_code: expected 0, got not reported [FAILED]"]
    stopped = JobStatus("j", 71, "Job settling", terminal=True, exit_code=137, stop_requested=1)
    assert check(Expectations(exit_code=137), stopped)[0].startswith("status: expected finished (ran to its end)")
