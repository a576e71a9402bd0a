"""Issue 12's must-show: a flaky network in front of the provider never costs a job, nor starts one twice.

A seeded fault proxy (tests/faultproxy.py: 15 % 503 without forwarding, 5 % 429 with Retry-After,
10 % delayed, 5 % answers dropped after forwarding, on every route) sits between `c2d run` and a
`c2d mock serve`.  Starts are counted at the mock, which is the only witness that cannot be fooled
by a lost answer.
"""
import json
import subprocess
from pathlib import Path

from tests.faultproxy import DROPPED_AFTER, NO_FAULTS, UNAVAILABLE, FaultProxy
from tests.mock.helpers import served_mock

from .conftest import raw_job, write_spec
from .test_robustness import C2D, ECHO, consumer_jobs, events, run_folder, runner_env, wait_for

JOBS = 50
START = "POST /api/services/compute"
INITIALIZE = "POST /api/services/initializeCompute"


def echo_spec(folder: Path, world, name: str, url: str) -> Path:
    matrix = ("    algocustomdata: {n: 0}\n    matrix:\n      algocustomdata.n: ["
              + ", ".join(map(str, range(JOBS))) + "]\n")
    jobs = "  echo:\n" + raw_job(world.table, ECHO, extra=matrix + "    expect: {outputs: [{name: echo.json}]}\n")
    return write_spec(folder, name, jobs, target=f"{{provider: '{url}', chain_id: 8996}}",
                      extra="consumer: {key: '${C2D_PRIVATE_KEY}'}\n")


def run(folder: Path, spec: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(C2D + ["run", str(spec), "--jobs", "8", "-q", "--json", "r.json", *extra], cwd=folder,
                          env=runner_env(), capture_output=True, text=True, timeout=300)


def outputs(folder: Path) -> dict[str, bytes]:
    """Job name -> the bytes of its echo.json, from the run's report."""
    report = json.loads((folder / "r.json").read_text())
    assert report["summary"]["passed"] == JOBS, report["summary"]
    return {job["name"]: (folder / job["folder"] / "outputs" / "echo.json").read_bytes() for job in report["jobs"]}


def started_ids(folder: Path, name: str) -> list[str]:
    return [e["job_id"] for e in events(run_folder(folder, name)) if e["event"] == "started"]


def test_50_jobs_behind_a_flaky_proxy_all_pass_with_exactly_50_starts(tmp_path, world):
    with served_mock(tmp_path / "mock-state", world.path) as (url, _):
        baseline, flaky = tmp_path / "baseline", tmp_path / "flaky"
        baseline.mkdir()
        flaky.mkdir()
        with FaultProxy(url, rates=NO_FAULTS) as proxy:
            done = run(baseline, echo_spec(baseline, world, "echo", proxy.url))
            assert done.returncode == 0, done.stdout + done.stderr
        assert len(consumer_jobs(url)) == JOBS
        with FaultProxy(url, seed=12) as proxy:
            done = run(flaky, echo_spec(flaky, world, "echo", proxy.url))
            assert done.returncode == 0, done.stdout + done.stderr
            # The faults really hit the calls that matter: quotes, and starts lost on the way back too
            # (the jobs share their orders, so a lost start is found among jobs with its agreementId).
            assert proxy.faults(INITIALIZE)[UNAVAILABLE] and proxy.faults(START)[UNAVAILABLE]
            assert proxy.faults(START)[DROPPED_AFTER]
        at_provider = consumer_jobs(url)
        assert len(at_provider) == 2 * JOBS  # exactly 50 starts reached the mock for the flaky run
        ids = started_ids(flaky, "echo")
        assert len(ids) == len(set(ids)) == JOBS
        # None forgotten: every job the flaky run created at the provider is one the run watched.
        assert set(ids) <= {job.job_id for job in at_provider}
        assert outputs(flaky) == outputs(baseline)


def test_sigkill_at_several_points_then_resume_starts_exactly_50(tmp_path, world):
    expected = {f"echo[n={n}]": n for n in range(JOBS)}
    with served_mock(tmp_path / "mock-state", world.path) as (url, _), FaultProxy(url, seed=5) as proxy:
        spec = echo_spec(tmp_path, world, "crash", proxy.url)
        folder = None
        for kill_after in (3, 20, 38):  # started events seen before each SIGKILL
            args = [] if folder is None else ["--resume", str(folder)]
            proc = subprocess.Popen(C2D + ["run", str(spec), "--jobs", "8", "-q", *args], cwd=tmp_path,
                                    env=runner_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                folder = wait_for(lambda: run_folder(tmp_path, "crash"))
                wait_for(lambda: len(started_ids(tmp_path, "crash")) >= kill_after, timeout=120)
            finally:
                proc.kill()
                proc.wait()
        done = run(tmp_path, spec, "--resume", str(folder))
        assert done.returncode == 0, done.stdout + done.stderr
        assert len(consumer_jobs(url)) == JOBS  # counted at the mock: three kills, still 50 starts
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["passed"] == JOBS
    started: dict[str, set[str]] = {}
    for event in events(folder):
        if event["event"] == "started":
            started.setdefault(event["job"], set()).add(event["job_id"])
    assert all(len(ids) == 1 for ids in started.values()) and len(started) == JOBS
    for job in report["jobs"]:
        echo = json.loads((tmp_path / job["folder"] / "outputs" / "echo.json").read_text())
        assert echo["custom"] == {"n": expected[job["name"]]}
