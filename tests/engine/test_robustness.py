"""The runner under faults and crashes: flaky provider, SIGKILL + resume, SIGTERM, no double start."""
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from c2d_runner.wire import TEST_CONSUMER_KEY
from tests.mock.helpers import served_mock

from .conftest import raw_job, write_spec
from .test_run import c2d

C2D = [sys.executable, "-m", "c2d_runner.cli"]

ECHO = """
import json, os
custom = json.load(open(os.path.join(os.environ["INPUTS"], "algoCustomData.json")))
did = json.loads(os.environ["DIDS"])[0]
size = os.path.getsize(os.path.join(os.environ["INPUTS"], did, "0"))
open(os.path.join(os.environ["OUTPUTS"], "echo.json"), "w").write(json.dumps({"custom": custom, "size": size}))
print("echo", custom["n"])
"""


@contextlib.contextmanager
def mock_server(world: Path, state: Path):
    """`c2d mock serve` for the test world in a subprocess; yields its URL; always stopped."""
    with served_mock(state, world) as (url, _):
        yield url


def consumer_jobs(url: str):
    from c2d_runner.ocean import OceanCompute
    from c2d_runner.ocean.wallet import wallet_from_key

    with OceanCompute({"METADATA_CACHE_URI": url}) as compute:
        return compute.jobs(url, wallet_from_key(TEST_CONSUMER_KEY))


def events(run_folder: Path) -> list[dict]:
    path = run_folder / "journal.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def run_folder(tmp_path: Path, spec_name: str) -> Path | None:
    found = [p for p in tmp_path.glob(f"runs/{spec_name}/*") if not p.is_symlink()]  # not the latest link
    return found[0] if found else None


def wait_for(predicate, timeout: float = 60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_flaky_provider_50_jobs_match_a_fault_free_run_without_double_starts(tmp_path, world):
    matrix = "    algocustomdata: {n: 0}\n    matrix:\n      algocustomdata.n: [" + ", ".join(map(str, range(50))) + "]\n"
    jobs = "  echo:\n" + raw_job(world.table, ECHO, extra=matrix + "    expect: {outputs: [{name: echo.json}]}\n")
    hashes = {}
    for faults in ("none", "flaky"):
        folder = tmp_path / faults
        folder.mkdir()
        (folder / "world").symlink_to(world.path.parent)
        spec = write_spec(folder, f"echo-{faults}", jobs, target=f"{{mock: world/world.yaml, faults: {faults}, seed: 7}}")
        result = c2d("run", spec, "--jobs", "8", "-q", "--json", folder / "r.json", cwd=folder)
        assert result.exit_code == 0, result.output
        report = json.loads((folder / "r.json").read_text())
        hashes[faults] = {j["name"]: [r["sha256"] for r in j["results"] if r["type"] == "output"]
                          for j in report["jobs"]}
        started = [e["job_id"] for e in events(run_folder(folder, f"echo-{faults}")) if e["event"] == "started"]
        assert len(started) == len(set(started)) == 50
        # The mock's own record (restarted on the run's saved state) holds exactly 50 jobs: none started twice.
        from mockprovider import MockOcean

        with MockOcean(world=world.path, state_dir=run_folder(folder, f"echo-{faults}") / "mock-state") as mock:
            assert len(consumer_jobs(mock.url)) == 50
    assert len(hashes["none"]) == 50 and all(len(h) == 1 for h in hashes["none"].values())
    assert hashes["flaky"] == hashes["none"]


def remote_spec(tmp_path: Path, world, url: str, name: str, count: int, seconds: float) -> Path:
    sleeper = f"import time, os\nprint('start', flush=True)\ntime.sleep({seconds})\n" \
              "open(os.path.join(os.environ['OUTPUTS'], 'done.txt'), 'w').write('done')\n"
    matrix = "    algocustomdata: {n: 0}\n    matrix:\n      algocustomdata.n: [" + ", ".join(map(str, range(count))) + "]\n"
    jobs = "  sleep:\n" + raw_job(world.table, sleeper, extra=matrix + "    expect: {outputs: [{name: done.txt}]}\n")
    return write_spec(tmp_path, name, jobs, target=f"{{provider: '{url}', chain_id: 8996}}",
                      extra="consumer: {key: '${C2D_PRIVATE_KEY}'}\n")


def runner_env() -> dict:
    return {**os.environ, "C2D_PRIVATE_KEY": TEST_CONSUMER_KEY}


def test_sigkill_then_resume_starts_no_job_twice_and_loses_no_result(tmp_path, world):
    with mock_server(world.path, tmp_path / "mock-state") as url:
        spec = remote_spec(tmp_path, world, url, "crash", count=6, seconds=1.0)
        proc = subprocess.Popen(C2D + ["run", str(spec), "--jobs", "2", "-q"], cwd=tmp_path, env=runner_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            folder = wait_for(lambda: run_folder(tmp_path, "crash"))
            wait_for(lambda: len([e for e in events(folder) if e["event"] == "started"]) >= 3)
        finally:
            proc.kill()  # SIGKILL: no handler runs, nothing is cleaned up
            proc.wait()
        before = {e["job"] for e in events(folder) if e["event"] == "done"}
        assert len(before) < 6  # it really died mid-run
        resumed = subprocess.run(C2D + ["run", str(spec), "--resume", str(folder), "-q", "--json", "r.json"],
                                 cwd=tmp_path, env=runner_env(), capture_output=True, text=True, timeout=180)
        assert resumed.returncode == 0, resumed.stderr
        report = json.loads((tmp_path / "r.json").read_text())
        assert report["summary"]["passed"] == 6
        # A start sent just before the kill is found again ("reconciled") rather than repeated.
        started = {e["job"]: e["job_id"] for e in events(folder) if e["event"] == "started"}
        assert len(started) == len(set(started.values())) == 6
        assert len(consumer_jobs(url)) == 6  # the provider saw exactly six starts
        for job in report["jobs"]:
            assert (tmp_path / job["folder"] / "outputs" / "done.txt").read_text() == "done"


def test_sigterm_stops_the_remote_jobs_and_exits_non_zero(tmp_path, world):
    with mock_server(world.path, tmp_path / "mock-state") as url:
        spec = remote_spec(tmp_path, world, url, "term", count=2, seconds=60)
        proc = subprocess.Popen(C2D + ["run", str(spec), "--jobs", "2", "-q"], cwd=tmp_path, env=runner_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            folder = wait_for(lambda: run_folder(tmp_path, "term"))
            wait_for(lambda: len([e for e in events(folder) if e["event"] == "started"]) == 2)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 1
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        stopped = [e for e in events(folder) if e["event"] == "stopped"]
        assert sorted(e["reason"] for e in stopped) == ["interrupted", "interrupted"]
        jobs = consumer_jobs(url)
        assert len(jobs) == 2 and all(j.stop_requested == 1 for j in jobs)
        record = json.loads((folder / "run.json").read_text())
        assert record["interrupted"] and not record["ok"]
