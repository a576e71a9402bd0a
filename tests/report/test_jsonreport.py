"""The JSON report: every field, JSON-ready, with a summary; written atomically or to stdout."""
import json
import math
from dataclasses import replace

from c2d_runner.report import report_dict, write_json
from c2d_runner.report.jsonreport import json_text

from .outcomes import errored, failed, passed, run, skipped


def test_round_trips_through_json_with_every_field():
    outcome = run(passed(), failed(), errored(), skipped())
    data = json.loads(json_text(outcome))
    assert data == report_dict(outcome)
    assert data["report_version"] == 1
    assert {k: data[k] for k in ("spec_name", "spec_path", "run_id", "folder", "target", "started_at",
                                 "duration", "problems", "interrupted", "ok")} == {
        "spec_name": "demo", "spec_path": "specs/demo.yaml", "run_id": "20261125-010203",
        "folder": "runs/demo/20261125-010203", "target": "mock (bundled world)",
        "started_at": "2026-11-25T01:02:03Z", "duration": 605.5, "problems": [], "interrupted": False,
        "ok": False}
    job = data["jobs"][0]
    assert set(job) == {"name", "outcome", "job_id", "environment", "status", "status_text", "stopreq",
                        "duration", "history", "results", "expectations", "error", "infrastructure", "log_tail",
                        "exit_code", "provisioning_tail", "not_fetched",
                        "folder"}
    assert job["history"][1] == {"at": 0.5, "status": 40, "text": "Running algorithm"}
    assert job["results"][0] == {"index": 0, "filename": "stats.json", "type": "output",
                                 "path": "runs/demo/20261125-010203/stats/outputs/stats.json", "size": 42,
                                 "sha256": "ab" * 32}
    assert job["folder"] == "runs/demo/20261125-010203/stats"
    assert data["jobs"][1]["expectations"][1] == {"name": "outputs[stats.json].sha256", "ok": False,
                                                  "expected": "ab12", "got": "cd34"}
    assert data["jobs"][3]["folder"] is None


def test_summary():
    assert report_dict(run(passed(), failed(), errored(), skipped()))["summary"] == {
        "passed": 1, "failed": 1, "error": 1, "skipped": 1, "ok": False}
    assert report_dict(run(passed(), skipped()))["summary"] == {
        "passed": 1, "failed": 0, "error": 0, "skipped": 1, "ok": True}
    planned = report_dict(run(problems=("bad dataset",)))
    assert planned["summary"]["ok"] is False and planned["problems"] == ["bad dataset"]


def test_awkward_values_stay_valid_json():
    job = replace(errored(), duration=math.inf, log_tail="bytes \udcff\x00 end \U0001f600")
    text = json_text(run(job))
    text.encode("ascii")  # whatever the log holds, the report is plain ASCII JSON
    data = json.loads(text)
    assert data["jobs"][0]["duration"] is None
    assert data["jobs"][0]["log_tail"] == "bytes \udcff\x00 end \U0001f600"


def test_write_json_to_a_file_atomically(tmp_path):
    target = tmp_path / "out" / "report.json"
    outcome = run(passed())
    assert write_json(outcome, target) == target
    assert json.loads(target.read_text(encoding="utf-8")) == report_dict(outcome)
    write_json(run(failed()), str(target))  # replaces the old report
    assert json.loads(target.read_text(encoding="utf-8"))["jobs"][0]["name"] == "train"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_write_json_dash_is_stdout(capsys):
    assert write_json(run(passed()), "-") is None
    assert json.loads(capsys.readouterr().out)["summary"]["ok"] is True
