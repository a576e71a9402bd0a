"""A node start whose answer is lost is found again, never sent twice: `c2d run` against the mock
Ocean Node behind tests/faultproxy.py, which lets the node take the start and drops its answer; and
a run killed before the answer came, resumed. The node's own job list is the witness (an Ocean Node
job carries no agreementId: the start's token in its metadata is how the runner finds it)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from c2d_runner import wire
from tests.engine.test_run import c2d
from tests.faultproxy import DROPPED_AFTER, NO_FAULTS, FaultProxy

IRIS = "did:op:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a737945a1414ffa93e"
STATS = "did:op:06021804ada2eff0cbd121bc1a4074fef2ac069a86a27a81e68019358a1c5c92"
FREE_START = "POST /api/services/freeCompute"
KEY_VAR = "C2D_LOST_START_KEY"
ADDRESS = wire.address_of(wire.TEST_CONSUMER_KEY)


@pytest.fixture
def node(tmp_path, monkeypatch):
    """A mock Ocean Node outliving the runs (a remote target: a resumed run finds its jobs there)."""
    from c2d_runner.connect import mock_ocean

    monkeypatch.setenv(KEY_VAR, wire.TEST_CONSUMER_KEY)
    with mock_ocean(state_dir=tmp_path / "node", protocol="ocean-node") as mock:
        yield mock


def node_jobs(url: str) -> list[dict]:
    """Every job of the consumer the node has, asked directly."""
    answer = requests.get(f"{url}/api/services/compute", params={"consumerAddress": ADDRESS}, timeout=10)
    answer.raise_for_status()
    return answer.json()


def spec(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "lost.yaml"
    path.write_text(f"""version: 1
name: lost
target: {{provider: '{url}', protocol: ocean-node}}
consumer: {{key: "${{{KEY_VAR}}}"}}
jobs:
  stats:
    dataset: {{did: "{IRIS}"}}
    algorithm: {{did: "{STATS}"}}
    resources: {{cpu: 1, ram: 1}}
""")
    return path


def events(tmp_path: Path) -> list[dict]:
    [folder] = [f for f in (tmp_path / "runs" / "lost").iterdir() if not f.is_symlink()]
    return [json.loads(line) for line in (folder / "journal.jsonl").read_text().splitlines()]


def wait_until_free(folder: Path) -> None:
    """Wait (at most 30 s) until nothing holds the run folder's lock. The node here lives in this test's
    process: the job the killed run started forks its algorithm with preexec_fn, and the forked child
    holds a copy of the run's lock (flock) until it execs, which on a busy machine can outlast the run."""
    import time

    from c2d_runner.engine.journal import run_folder_busy

    deadline = time.monotonic() + 30
    while run_folder_busy(folder) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_free_start_whose_answer_is_lost_is_found_by_its_token(tmp_path, node):
    with FaultProxy(node.url, rates=NO_FAULTS, script={FREE_START: [DROPPED_AFTER]}) as proxy:
        result = c2d("run", spec(tmp_path, proxy.url), cwd=tmp_path)
        assert proxy.faults(FREE_START) == {DROPPED_AFTER: 1}  # the one start sent; the node took it
    assert result.exit_code == 0, result.output
    assert "start answer lost" in result.output and "the lost start had taken effect" in result.output
    [job] = node_jobs(node.url)  # exactly one job on the node
    [starting] = [e for e in events(tmp_path) if e["event"] == "starting"]
    assert job["metadata"] == {"c2d-runner.start": starting["start_token"]}
    [started] = [e for e in events(tmp_path) if e["event"] == "started"]
    assert started["job_id"].endswith("-" + job["jobId"])  # the prefixed id later calls need


def test_a_run_killed_before_the_start_answer_is_resumed_onto_the_same_job(tmp_path, node, monkeypatch):
    from c2d_runner.engine import jobrun

    def sent_then_killed(send, lookup, **kwargs):
        send()  # the node took the start; the process died before reading the answer
        raise RuntimeError("killed before the start's answer was read")

    path = spec(tmp_path, node.url)
    with monkeypatch.context() as patch:
        patch.setattr(jobrun, "start_once", sent_then_killed)
        assert c2d("run", path, cwd=tmp_path).exit_code != 0
    [job] = node_jobs(node.url)
    [folder] = [f for f in (tmp_path / "runs" / "lost").iterdir() if not f.is_symlink()]
    assert [e["event"] for e in events(tmp_path) if e["event"] in ("starting", "started")] == ["starting"]
    wait_until_free(folder)
    resumed = c2d("run", path, "--resume", folder, cwd=tmp_path)
    assert resumed.exit_code == 0, resumed.output
    assert len(node_jobs(node.url)) == 1  # found by its token, not started again
    [started] = [e for e in events(tmp_path) if e["event"] == "started"]
    assert started["reconciled"] is True and started["job_id"].endswith("-" + job["jobId"])
