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


DIDS = {"iris": "did:op:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a737945a1414ffa93e",
        "fail": "did:op:db43054613262fcd3364ee0228ee1e024784c927431f2e04911fb3966bf0161e"}
RAW = ("      raw:\n        code: {code}\n        container: {{entrypoint: {entry!r}, image: python, tag: '3.11', "
       "checksum: 'sha256:" + "0" * 64 + "'}}\n")


def _crash_spec(tmp_path):
    jobs = {
        "fail": f"    algorithm: {{did: '{DIDS['fail']}'}}\n    expect: {{status: finished}}\n",
        "missing-module": "    algorithm:\n" + RAW.format(code=json.dumps("import no_such_module_c2d\n"), entry="python $ALGO"),
        "fail-expected": f"    algorithm: {{did: '{DIDS['fail']}'}}\n    expect: {{status: failed}}\n",
        "exit-one": f"    algorithm: {{did: '{DIDS['fail']}'}}\n    expect: {{exit_code: 1}}\n",
        "no-runtime": "    algorithm:\n" + RAW.format(code=json.dumps("print(1)\n"), entry="program $ALGO"),
    }
    text = "version: 1\nname: crash\ndefaults: {timeout: 1m}\njobs:\n" + "".join(
        f"  {name}:\n    dataset: {{did: '{DIDS['iris']}'}}\n{body}" for name, body in jobs.items())
    (tmp_path / "crash.yaml").write_text(text)
    return tmp_path / "crash.yaml"


def test_a_crashing_algorithm_fails_its_job(tmp_path):
    """Issue 14: the `fail` algorithm or a ModuleNotFoundError ended at 70 and showed PASSED."""
    result = c2d("run", _crash_spec(tmp_path), "-q", "--out", tmp_path / "runs", "--json", tmp_path / "r.json",
                 cwd=tmp_path)
    assert result.exit_code == 1
    jobs = {j["name"]: j for j in json.loads((tmp_path / "r.json").read_text())["jobs"]}
    assert {name: j["outcome"] for name, j in jobs.items()} == {
        "fail": "failed", "missing-module": "failed", "fail-expected": "passed", "exit-one": "passed",
        "no-runtime": "failed"}
    assert jobs["fail"]["exit_code"] == 1 and jobs["exit-one"]["exit_code"] == 1
    [exit_check] = [e for e in jobs["missing-module"]["expectations"] if e["name"] == "exit_code"]
    assert (exit_check["expected"], exit_check["got"], exit_check["ok"]) == ("0", "1", False)
    assert "ModuleNotFoundError: No module named 'no_such_module_c2d'" in result.stderr
    # A job that ended at 31/32 says why: the provisioning log's last lines.
    assert jobs["no-runtime"]["status"] == 32 and jobs["no-runtime"]["exit_code"] is None
    assert "configure.log (last" in result.stderr
    assert "no local runtime for entrypoint program 'program'" in result.stderr


def test_exit_code_lines_of_the_provisioning_log():
    from c2d_runner.wire import exit_code_from_log, exit_code_line

    assert exit_code_from_log("x\n2026-01-01T00:00:00Z " + exit_code_line(3) + "\npublishing\n") == 3
    assert exit_code_from_log(exit_code_line(-9)) == 137  # killed by SIGKILL, as a shell reports it
    assert exit_code_from_log("provisioning failed (32): no runtime\n") is None
    assert exit_code_from_log("") is None
