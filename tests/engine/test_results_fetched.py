"""Which results a run fetches, end to end on both protocols of the mock: a sweep's jobs all finish with
their outputs and algorithm logs where the README says; a failed job gets every log; the others wait."""
import json
from pathlib import Path

import pytest

from .conftest import raw_job, runs_of, write_spec
from .test_run import c2d

PRINTS = """
import os
print("hello from", os.environ.get("OUTPUTS", "/data/outputs"))
open(os.path.join(os.environ.get("OUTPUTS", "/data/outputs"), "ok.txt"), "w").write("ok")
"""
CRASHES = """
import sys
print("about to fail")
sys.exit(3)
"""
SWEEP = "    algocustomdata: {n: 0}\n    matrix: {algocustomdata.n: [0, 1, 2, 3, 4, 5]}\n" \
        "    expect:\n      outputs: [{name: ok.txt, contains: ok}]\n      logs: {contains: [hello from]}\n"
# The infrastructure's logs each protocol's mock lists (the Provider's configure.log is always
# fetched: it carries the exit code there).
INFRASTRUCTURE = {"provider": set(), "ocean-node": {"image.log", "configuration.log"}}


def run(tmp_path, world, protocol, *args):
    jobs = "  sweep:\n" + raw_job(world.table, PRINTS, extra=SWEEP) + "  crash:\n" + raw_job(world.table, CRASHES)
    spec = write_spec(tmp_path, "fetched", jobs, target=f"{{mock: world/world.yaml, protocol: {protocol}}}")
    result = c2d("run", spec, "--json", tmp_path / "r.json", *args, cwd=tmp_path)
    return result, {j["name"]: j for j in json.loads((tmp_path / "r.json").read_text())["jobs"]}


def logs_of(tmp_path, job) -> set[str]:
    return {p.name for p in (tmp_path / job["folder"] / "logs").iterdir()}


@pytest.mark.parametrize("protocol", ["provider", "ocean-node"])
def test_a_sweep_finishes_with_outputs_and_algorithm_logs_and_a_failed_job_gets_every_log(tmp_path, world, protocol):
    result, jobs = run(tmp_path, world, protocol)
    assert result.exit_code == 1, result.output  # the crash
    sweep = [j for name, j in jobs.items() if name.startswith("sweep")]
    assert len(sweep) == 6 and all(j["outcome"] == "passed" for j in sweep)
    for job in sweep:
        assert (tmp_path / job["folder"] / "outputs" / "ok.txt").read_text() == "ok"
        assert "hello from" in (tmp_path / job["folder"] / "logs" / "algorithm.log").read_text()
        assert not logs_of(tmp_path, job) & INFRASTRUCTURE[protocol]
        assert {r["filename"] for r in job["not_fetched"]} == INFRASTRUCTURE[protocol]
    crash = jobs["crash"]
    assert crash["outcome"] == "failed" and crash["exit_code"] == 3 and crash["not_fetched"] == []
    listed = {r["filename"] for r in crash["results"] if r["type"] != "output"}
    assert logs_of(tmp_path, crash) == listed >= {"algorithm.log"} | INFRASTRUCTURE[protocol]
    [record] = runs_of(tmp_path, "runs/fetched/*/run.json")
    assert json.loads(record.read_text())["jobs"][0]["not_fetched"] == jobs[next(iter(jobs))]["not_fetched"]


def test_c2d_results_fetches_what_the_run_left_and_all_logs_fetches_it_at_once(tmp_path, world):
    _, jobs = run(tmp_path, world, "ocean-node")
    job = jobs["sweep-0"] if "sweep-0" in jobs else next(j for n, j in jobs.items() if n.startswith("sweep"))
    again = c2d("results", job["job_id"], "--dest", tmp_path / "again", cwd=tmp_path)
    assert again.exit_code == 0, again.output
    assert {p.name for p in (tmp_path / "again" / "logs").iterdir()} == {"algorithm.log"} | INFRASTRUCTURE["ocean-node"]
    assert (tmp_path / "again" / "outputs" / "ok.txt").read_text() == "ok"

    every = tmp_path / "every"
    every.mkdir()
    (every / "world").symlink_to(Path(tmp_path / "world").resolve())
    _, jobs = run(every, world, "ocean-node", "--all-logs")
    for name, job in jobs.items():
        assert job["not_fetched"] == [] and {"image.log", "configuration.log"} <= logs_of(every, job), name
