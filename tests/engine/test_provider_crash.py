"""Issue 12: a provider that dies mid-run, and one that accepts connections but never answers."""
import contextlib
import dataclasses
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading

from c2d_runner.engine import runner as engine_runner

from .conftest import raw_job, write_spec
from .test_robustness import C2D, consumer_jobs, events, run_folder, runner_env, wait_for
from .test_run import c2d

SLEEPER = """
import os, time
time.sleep(8)  # long enough to be running when the provider dies
open(os.path.join(os.environ["OUTPUTS"], "done.txt"), "w").write("done")
"""


@contextlib.contextmanager
def mock_process(state, world, port=0):
    """`c2d mock serve` that the test may SIGKILL: yields (url, process); always ended."""
    proc = subprocess.Popen(C2D + ["mock", "serve", "--port", str(port), "--state-dir", str(state), "--world",
                                   str(world)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = proc.stdout.readline()
        match = re.search(r"ready at (http://\S+)", first)
        assert match, first
        threading.Thread(target=proc.stdout.read, daemon=True).start()  # never let its output block it
        yield match.group(1), proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def test_resume_finishes_a_run_a_provider_crash_interrupted(tmp_path, world):
    matrix = "    algocustomdata: {n: 0}\n    matrix:\n      algocustomdata.n: [0, 1, 2, 3]\n"
    jobs = "  sleep:\n" + raw_job(world.table, SLEEPER, extra=matrix + "    expect: {outputs: [{name: done.txt}]}\n")
    state = tmp_path / "mock-state"
    with mock_process(state, world.path) as (url, provider):
        port = int(url.rsplit(":", 1)[1])
        spec = write_spec(tmp_path, "crash", jobs, target=f"{{provider: '{url}', chain_id: 8996}}",
                          extra="consumer: {key: '${C2D_PRIVATE_KEY}'}\n")
        runner = subprocess.Popen(C2D + ["run", str(spec), "--jobs", "4", "-q"], cwd=tmp_path, env=runner_env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        folder = None
        try:
            folder = wait_for(lambda: run_folder(tmp_path, "crash"))
            wait_for(lambda: len([e for e in events(folder) if e["event"] == "started"]) == 4)
            provider.kill()  # the provider dies with all four jobs running
            provider.wait()
            assert runner.wait(timeout=180) == 3  # unreachable: an infrastructure failure
        finally:
            if runner.poll() is None:
                runner.kill()
                runner.wait()
    first = {e["job"]: e["job_id"] for e in events(folder) if e["event"] == "started"}
    with mock_process(state, world.path, port) as (url, _):  # restarted: it failed the four jobs
        assert {j.status for j in consumer_jobs(url)} <= {31, 32}
        resumed = subprocess.run(C2D + ["run", str(spec), "--resume", str(folder), "-q", "--json", "r.json"],
                                 cwd=tmp_path, env=runner_env(), capture_output=True, text=True, timeout=180)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert len(consumer_jobs(url)) == 8  # each job started once more, none twice
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["passed"] == 4
    abandoned = {e["job"]: e["job_id"] for e in events(folder) if e["event"] == "abandoned"}
    assert abandoned == first


def test_a_provider_that_accepts_connections_and_never_answers_fails_the_run(tmp_path, world, monkeypatch):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    monkeypatch.setattr(engine_runner, "RUN_CLIENT", dataclasses.replace(engine_runner.RUN_CLIENT, timeout=(0.3, 0.3)))
    spec = write_spec(tmp_path, "silent", "  sleep:\n" + raw_job(world.table, SLEEPER),
                      target=f"{{provider: '{url}', chain_id: 8996}}", extra="consumer: {key: '${C2D_PRIVATE_KEY}'}\n")
    monkeypatch.setenv("C2D_PRIVATE_KEY", runner_env()["C2D_PRIVATE_KEY"])
    try:
        result = c2d("run", spec, cwd=tmp_path)
    finally:
        listener.close()
    assert result.exit_code == 3, result.output
    assert "accepts connections but answers nothing" in result.output
