"""Issue 14's first-hour surprises on the run path: each test failed before its fix."""
import json
import re

import pytest

from .conftest import ROOT, runs_of
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
    [record] = runs_of(tmp_path / "runs", "hello/*/run.json")
    record = json.loads(record.read_text())
    assert record["sandbox"] == "none" and "WITHOUT A SANDBOX" in record["warnings"][0]
    assert "WITHOUT A SANDBOX" in json.loads((tmp_path / "r.json").read_text())["warnings"][0]
    assert 'name="warning" value="the mock runs algorithms WITHOUT A SANDBOX' in (tmp_path / "j.xml").read_text()


def test_the_sandbox_mode_is_recorded_when_there_is_one(tmp_path, monkeypatch):
    monkeypatch.delenv("C2D_MOCK_SANDBOX", raising=False)
    result = c2d("run", HELLO, "-q", "--out", tmp_path / "runs", cwd=tmp_path)
    [record] = runs_of(tmp_path / "runs", "hello/*/run.json")
    record = json.loads(record.read_text())
    assert record["sandbox"] in ("bwrap", "none")
    assert bool(record["warnings"]) == (record["sandbox"] == "none") == ("WITHOUT A SANDBOX" in result.stderr)


def _snapshot(folder):
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def test_job_commands_leave_a_copied_runs_folder_untouched(tmp_path):
    """Issue 14: status/logs/results/stop locked (so wrote) the run folder: a read-only CI artifact crashed them."""
    assert c2d("run", HELLO, "-q", "--out", tmp_path / "runs", cwd=tmp_path).exit_code == 0
    [record] = runs_of(tmp_path / "runs", "hello/*/run.json")
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


REMOTE = """\
version: 1
name: remote
consumer: {key: "${C2D_PRIVATE_KEY}"}
jobs:
  wordcount:
    dataset: {did: "did:op:f6c1c1baee952b2601f14cea2718d0892944c466e5d3fa37b757e3e7a9cf6b4c"}
    algorithm: {did: "did:op:963617b402cd049f8127223c3f467f32e260f86ef7d4c7cf3b787cb811329a53"}
"""


def test_a_web_server_is_not_taken_for_an_aquarius(tmp_path, monkeypatch, httpserver):
    """Issue 14: an Aquarius URL at a plain web server gave 'DDO not found: <!DOCTYPE HTML>' (exit 1)."""
    from c2d_runner.wire import TEST_CONSUMER_KEY

    page = "<!DOCTYPE HTML>\n<html><body><h1>Error response</h1><p>Error code: 404</p></body></html>"
    httpserver.no_handler_status_code = 404
    httpserver.expect_request(re.compile(".*")).respond_with_data(page, status=404, content_type="text/html")
    monkeypatch.setenv("C2D_PRIVATE_KEY", TEST_CONSUMER_KEY)
    (tmp_path / "remote.yaml").write_text(REMOTE)
    url = httpserver.url_for("/").rstrip("/")
    result = c2d("plan", tmp_path / "remote.yaml", "--target", url, "--chain-id", "8996", cwd=tmp_path)
    assert result.exit_code == 3, result.output
    assert f"{url} is not an Ocean Provider, Ocean Node or Aquarius: it answered HTML (HTTP 404 to GET " in result.stderr
    assert "DDO not found" not in result.output


def test_retries_are_said_as_they_happen(caplog):
    """Issue 14: nothing listening meant 15 s of silence; each retry is now a WARNING on c2d_runner.http."""
    import socket

    from c2d_runner.ocean.errors import ProviderError
    from c2d_runner.ocean.http import HttpClient, RetryPolicy

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = HttpClient(retry=RetryPolicy(retries=2, backoff=0.0), sleep=lambda seconds: None)
    with caplog.at_level("WARNING", logger="c2d_runner.http"), pytest.raises(ProviderError):
        client.request("GET", f"http://127.0.0.1:{port}/api/services/nonce", error_cls=ProviderError,
                       idempotent=True)
    assert [r.getMessage().split(": ", 1)[1] for r in caplog.records] == [
        "cannot connect: Connection refused; retry 1 of 2 in 0.0 s",
        "cannot connect: Connection refused; retry 2 of 2 in 0.0 s"]


def test_verbose_shows_each_call_with_signatures_redacted(tmp_path):
    from c2d_runner.ocean.http import shown_call

    assert shown_call("GET", "http://p/api/services/compute", {"signature": "0xabc", "nonce": 3, "jobId": "j"}) \
        == "GET http://p/api/services/compute?signature=<redacted>&nonce=3&jobId=j"
    result = c2d("-v", "run", HELLO, "-q", "--out", tmp_path / "runs", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    calls = [line for line in result.stderr.splitlines() if line.startswith("c2d: ")]
    assert any("/api/services/computeResult?" in line and "signature=<redacted>" in line for line in calls), calls
    assert not re.search(r"signature=0x", result.stderr)


def test_jobs_going_to_another_provider_than_the_target_are_warned_about():
    from c2d_runner.engine.runner import provider_warnings

    assert provider_warnings("http://a", ["http://a/", "http://a"]) == ()
    assert provider_warnings("http://a", ["http://b", "http://a"]) == (
        "jobs go to the provider named in their DDO's serviceEndpoint, http://b, not to the target's provider http://a",)


def _hello_run(tmp_path, *extra):
    spec = tmp_path / "hello.yaml"
    spec.write_text(HELLO.read_text())
    result = c2d("run", spec, "-q", "--out", tmp_path / "runs", *extra, cwd=tmp_path)
    [record] = runs_of(tmp_path / "runs", "hello/*/run.json")
    return result, record.parent, json.loads(record.read_text())


def test_logs_type_takes_either_spelling_and_refuses_a_type_the_job_lacks(tmp_path):
    """Issue 14: `c2d logs --type configurationLog` (the real type name) printed nothing and exited 0."""
    _, _, record = _hello_run(tmp_path)
    job_id = record["jobs"][0]["job_id"]
    for spelling in ("configurationLog", "configrationLog"):
        logs = c2d("logs", job_id, "--type", spelling, "--out", tmp_path / "runs", cwd=tmp_path)
        assert logs.exit_code == 0 and "provisioning success" in logs.stdout, logs.output
    wrong = c2d("logs", job_id, "--type", "imageLog", "--out", tmp_path / "runs", cwd=tmp_path)
    assert wrong.exit_code == 2
    assert f"job {job_id} has no imageLog result (its results: output, algorithmLog, configrationLog)" in wrong.stderr


def test_resume_with_a_timeout_is_not_a_changed_spec(tmp_path):
    """Issue 14: `--resume` with `--timeout` claimed the spec had changed."""
    _, folder, _ = _hello_run(tmp_path, "--timeout", "50s")
    again = c2d("run", tmp_path / "hello.yaml", "-q", "--resume", folder, "--timeout", "40s", cwd=tmp_path)
    assert again.exit_code == 0, again.output


def test_lock_says_what_it_wrote(tmp_path):
    """Issue 14: `--lock` never said what it wrote, or why it did not."""
    result, _, _ = _hello_run(tmp_path, "--lock")
    assert f"lock: wrote {tmp_path / 'hello.lock.json'}" in result.stderr


def test_pytest_specs_runs_the_examples():
    """Issue 14: `pytest specs/` in the repository collected nothing."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "specs"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "specs/hello.yaml::wordcount" in done.stdout


def test_logs_follow_on_a_provider_waits_for_the_end_then_prints_the_log(tmp_path):
    """A Provider has no live logs: --follow says each status until the job is over, then prints its log."""
    _, _, record = _hello_run(tmp_path)
    job_id = record["jobs"][0]["job_id"]
    followed = c2d("logs", job_id, "--follow", "--out", tmp_path / "runs", cwd=tmp_path)
    assert followed.exit_code == 0, followed.output
    assert f"c2d: job {job_id}: 70 Job finished" in followed.stderr
    assert "wordcount" in followed.stdout
