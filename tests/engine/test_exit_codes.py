"""Every exit code of the README table, produced by a real `c2d` command, and --debug."""
import http.server
import json
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from c2d_runner.cli import main

from tests.loopback import serve

from .conftest import ROOT, raw_job, runs_of, write_spec
from .test_run import c2d

KEY = "0x" + "11" * 32


def run(*args, cwd, env=None):
    """`c2d ARGS` through CliRunner, stderr kept apart."""
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(map(str, args)), env=env, catch_exceptions=False)
    finally:
        os.chdir(old)


def jobs_on(world) -> str:
    return f"  j:\n    dataset: {{did: \"{world.table}\"}}\n    algorithm: {{did: \"{world.stats}\"}}\n"


def test_0_a_valid_spec():
    result = c2d("validate", ROOT / "specs" / "hello.yaml", cwd=ROOT)
    assert result.exit_code == 0, result.output


def test_1_an_expectation_that_does_not_hold(tmp_path, world):
    spec = write_spec(tmp_path, "fails", "  j:\n" + raw_job(world.table, "print('hi')",
                                                            "    expect: {outputs: [{name: missing.txt}]}\n"))
    result = run("run", spec, cwd=tmp_path)
    assert result.exit_code == 1, result.output
    assert "missing.txt" in result.output


def test_2_missing_consumer_key_with_a_provider_target(tmp_path, world):
    spec = write_spec(tmp_path, "nokey", jobs_on(world))
    result = run("run", spec, "--target", "http://127.0.0.1:9", "--chain-id", "8996", cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == "Error: a real Ocean Node or Provider needs a consumer key: set consumer.key in the spec"


def test_2_misspelt_fault_profile_is_refused_by_validate_and_run(tmp_path, world):
    spec = write_spec(tmp_path, "typo", jobs_on(world), target="{mock: world/world.yaml, faults: flakey}")
    checked = run("validate", spec, cwd=tmp_path)
    assert checked.exit_code == 2
    assert "must be one of 'none', 'flaky'" in checked.output and "got 'flakey' [target.faults]" in checked.output
    ran = run("run", spec, cwd=tmp_path)
    assert ran.exit_code == 2 and "got 'flakey' [target.faults]" in ran.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("how", ["spec", "--target"])
def test_2_invalid_world_given_to_run(tmp_path, world, how):
    (tmp_path / "bad.yaml").write_text("version: 1\nbogus: 1\n")
    if how == "spec":
        spec = write_spec(tmp_path, "badworld", jobs_on(world), target="{mock: bad.yaml}")
        result = run("run", spec, cwd=tmp_path)
    else:
        spec = write_spec(tmp_path, "badworld", jobs_on(world))
        result = run("run", spec, "--target", f"mock:{tmp_path / 'bad.yaml'}", cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: invalid world {tmp_path / 'bad.yaml'}")
    assert "unknown key 'bogus'" in result.stderr


def test_2_mock_serve_with_an_invalid_world(tmp_path):
    (tmp_path / "bad.yaml").write_text("version: 1\nbogus: 1\n")
    result = run("mock", "serve", "--world", tmp_path / "bad.yaml", "--port", "0", cwd=tmp_path)
    assert result.exit_code == 2 and "unknown key 'bogus'" in result.stderr


class _NotOcean(http.server.BaseHTTPRequestHandler):
    """A web server that is not Ocean: an HTML 404 page for every path."""

    def do_GET(self):
        self.send_error(404)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def not_ocean():
    with serve(_NotOcean) as (_, url):
        yield url


@pytest.mark.parametrize("command", ["run", "plan"])
def test_3_a_server_that_is_not_ocean(tmp_path, world, not_ocean, command, monkeypatch):
    monkeypatch.setenv("C2D_PRIVATE_KEY", KEY)
    spec = write_spec(tmp_path, "web", jobs_on(world), extra="consumer: {key: '${C2D_PRIVATE_KEY}'}\n")
    result = run(command, spec, "--target", not_ocean, "--chain-id", "8996", cwd=tmp_path)
    assert result.exit_code == 3, result.output + result.stderr
    assert f"Error: {not_ocean} is not an Ocean Provider, Ocean Node or Aquarius: it answered" in result.stderr
    assert "(HTTP 404 to GET " in result.stderr


def test_3_mock_serve_on_a_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        # A subprocess: werkzeug used to exit the process itself here, so the real exit status matters.
        result = subprocess.run([sys.executable, "-m", "c2d_runner.cli", "mock", "serve", "--port", str(port)],
                                capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert result.stderr.strip() == f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"


def _inject_bug(monkeypatch):
    from c2d_runner.engine.jobrun import JobRun

    def start(self):
        raise RuntimeError("injected bug")

    monkeypatch.setattr(JobRun, "start", start)


def _journal(tmp_path) -> list[dict]:
    [path] = runs_of(tmp_path, "runs/*/*/journal.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_debug_shows_an_internal_error_traceback_and_the_journal_keeps_it(tmp_path, world, monkeypatch):
    _inject_bug(monkeypatch)
    spec = write_spec(tmp_path, "bug", "  j:\n" + raw_job(world.table, "print('hi')"))
    result = run("--debug", "run", spec, cwd=tmp_path)
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "RuntimeError: injected bug" in result.stderr and "def start" not in result.stderr
    [event] = [e for e in _journal(tmp_path) if e["event"] == "internal_error"]
    assert event["job"] == "j" and event["error"] == "RuntimeError: injected bug"
    assert event["traceback"].startswith("Traceback") and "in start" in event["traceback"]


def test_without_debug_the_internal_error_is_one_line_pointing_at_the_journal(tmp_path, world, monkeypatch):
    _inject_bug(monkeypatch)
    spec = write_spec(tmp_path, "bug", "  j:\n" + raw_job(world.table, "print('hi')"))
    result = run("run", spec, cwd=tmp_path)
    assert result.exit_code == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "internal error: RuntimeError: injected bug (traceback in " in result.stdout + result.stderr
    assert any(e["event"] == "internal_error" for e in _journal(tmp_path))


def test_debug_shows_the_traceback_of_a_c2d_error_too(tmp_path):
    result = run("--debug", "run", ROOT / "specs" / "matrix-sweep.yaml", "--only", "nope", cwd=tmp_path)
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr and "UsageError" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("Error: no job named 'nope'")


def test_a_bug_outside_a_job_keeps_its_traceback(tmp_path, monkeypatch):
    import c2d_runner.connect as connect

    def run_spec(*args, **kwargs):
        raise RuntimeError("injected bug")

    monkeypatch.setattr(connect, "run_spec", run_spec)
    result = CliRunner().invoke(main, ["run", str(ROOT / "specs" / "hello.yaml")])
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)
    assert "Error:" not in result.stderr  # not dressed up as a user error


def test_2_verify_without_a_lock_file(tmp_path, world):
    spec = write_spec(tmp_path, "nolock", jobs_on(world))
    result = run("verify", spec, cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: no lock file {tmp_path / 'nolock.lock.json'}; write one with `c2d run --lock")
