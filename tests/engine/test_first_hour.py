"""Issue 14's first-hour surprises on the run path: each test failed before its fix."""
import json

from .conftest import ROOT
from .test_run import c2d

HELLO = ROOT / "specs" / "hello.yaml"


def test_timeout_beyond_max_job_duration_is_a_warning():
    from c2d_runner.engine.commands import timeout_warnings

    [warning] = timeout_warnings(600, 60)
    assert warning.startswith("the timeout (10m) exceeds the environment's maxJobDuration (1m)")
    assert timeout_warnings(60, 60) == [] and timeout_warnings(600, None) == [] and timeout_warnings(600, 0) == []


def test_plan_warns_that_the_default_timeout_exceeds_the_free_environment(tmp_path):
    result = c2d("plan", HELLO, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "  warning      the timeout (10m) exceeds the environment's maxJobDuration (1m)" in result.output
    report = json.loads(c2d("plan", HELLO, "--format", "json", cwd=tmp_path).output)
    assert report["jobs"][0]["warnings"][0].startswith("the timeout (10m)")


def test_running_without_a_sandbox_is_said_once_and_recorded(tmp_path, monkeypatch):
    """Issue 14: `c2d run` was silent when the mock ran algorithms unsandboxed."""
    monkeypatch.setenv("C2D_MOCK_SANDBOX", "none")
    result = c2d("run", HELLO, "-q", "--out", tmp_path / "runs", "--json", tmp_path / "r.json",
                 "--junit", tmp_path / "j.xml", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stderr.count("WARNING: the mock runs algorithms WITHOUT A SANDBOX") == 1
    [record] = (tmp_path / "runs").glob("hello/*/run.json")
    record = json.loads(record.read_text())
    assert record["sandbox"] == "none" and "WITHOUT A SANDBOX" in record["warnings"][0]
    assert "WITHOUT A SANDBOX" in json.loads((tmp_path / "r.json").read_text())["warnings"][0]
    assert 'name="warning" value="the mock runs algorithms WITHOUT A SANDBOX' in (tmp_path / "j.xml").read_text()


def test_the_sandbox_mode_is_recorded_when_there_is_one(tmp_path, monkeypatch):
    monkeypatch.delenv("C2D_MOCK_SANDBOX", raising=False)
    result = c2d("run", HELLO, "-q", "--out", tmp_path / "runs", cwd=tmp_path)
    [record] = (tmp_path / "runs").glob("hello/*/run.json")
    record = json.loads(record.read_text())
    assert record["sandbox"] in ("bwrap", "none")
    assert bool(record["warnings"]) == (record["sandbox"] == "none") == ("WITHOUT A SANDBOX" in result.stderr)


def _snapshot(folder):
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def test_job_commands_leave_a_copied_runs_folder_untouched(tmp_path):
    """Issue 14: status/logs/results/stop locked (so wrote) the run folder: a read-only CI artifact crashed them."""
    assert c2d("run", HELLO, "-q", "--out", tmp_path / "runs", cwd=tmp_path).exit_code == 0
    [record] = (tmp_path / "runs").glob("hello/*/run.json")
    job_id = json.loads(record.read_text())["jobs"][0]["job_id"]
    (record.parent / ".lock").unlink(missing_ok=True)
    before = _snapshot(tmp_path / "runs")
    status = c2d("status", job_id, "--out", tmp_path / "runs", cwd=tmp_path)
    assert status.exit_code == 0, status.output
    logs = c2d("logs", job_id, "--out", tmp_path / "runs", cwd=tmp_path)
    assert logs.exit_code == 0 and "wordcount" in logs.output
    results = c2d("results", job_id, "--out", tmp_path / "runs", "--dest", tmp_path / "copy", cwd=tmp_path)
    assert results.exit_code == 0, results.output
    assert c2d("stop", job_id, "--out", tmp_path / "runs", cwd=tmp_path).exit_code == 0
    assert _snapshot(tmp_path / "runs") == before


def test_a_run_folder_that_cannot_be_created_is_one_clear_error(tmp_path):
    """Issue 14: an unwritable --out ended in a 30-line traceback."""
    (tmp_path / "file").write_text("not a folder")
    result = c2d("run", HELLO, "--out", tmp_path / "file" / "runs", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: cannot create the run folder ")
    assert "choose a writable folder with --out" in result.stderr and "Traceback" not in result.output
