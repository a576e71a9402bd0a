"""Ocean Node specs: URL datasets, envs, resources, exit codes, paths inside outputs/, protocols."""
from __future__ import annotations

from c2d_runner.spec import check_file
from c2d_runner.spec.model import RemoteTarget, UrlDatasetRef

NODE_SPEC = """\
version: 1
name: node
target: {provider: 'http://127.0.0.1:18000', protocol: ocean-node, requests_per_minute: 20}
consumer: {key: '${C2D_PRIVATE_KEY}'}
jobs:
  csv:
    dataset: {url: 'http://127.0.0.1:18765/data.csv', headers: {X-Token: t}}
    additional_datasets: [{url: 'http://127.0.0.1:18765/more.csv', method: POST}]
    algorithm:
      raw:
        code: print(1)
        container: {entrypoint: python $ALGO, image: localhost:5000/python, tag: '3.11'}
      envs: {MY_ENV_VAR: v, DEBUG: true, N: 3}
    resources: {cpu: 1, ram: 1, disk: 0.5}
    timeout: 2m
    environment: cheapest
    expect:
      exit_code: 0
      outputs: [{name: sub/nested.txt, contains: nested}]
"""


def test_node_spec_plan(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(NODE_SPEC)
    plan, problems = check_file("spec.yaml", env={"C2D_PRIVATE_KEY": "x"})
    assert problems == []
    assert plan.target == RemoteTarget("http://127.0.0.1:18000", "http://127.0.0.1:18000", None, "ocean-node", 20)
    assert plan.target.describe() == "Ocean Node http://127.0.0.1:18000"
    job = plan.jobs[0]
    assert job.dataset == UrlDatasetRef("http://127.0.0.1:18765/data.csv", "get", {"X-Token": "t"})
    assert job.additional_datasets[0].method == "post"
    assert dict(job.envs) == {"MY_ENV_VAR": "v", "DEBUG": "true", "N": "3"}
    assert dict(job.resources) == {"cpu": 1, "ram": 1, "disk": 0.5}
    assert job.algorithm.checksum == "" and job.timeout == 120 and job.environment == "cheapest"
    assert job.expect.exit_code == 0 and job.expect.outputs[0].name == "sub/nested.txt"


def test_provider_url_without_protocol_leaves_the_checksum_to_run_time(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = NODE_SPEC.replace(", protocol: ocean-node, requests_per_minute: 20", "")
    (tmp_path / "spec.yaml").write_text(text)
    plan, problems = check_file("spec.yaml", env={"C2D_PRIVATE_KEY": "x"})
    assert problems == [] and plan.target.protocol is None and plan.target.chain_id is None


def test_mock_as_ocean_node(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = NODE_SPEC.replace("target: {provider: 'http://127.0.0.1:18000', protocol: ocean-node, requests_per_minute: 20}",
                             "target: {mock: null, protocol: ocean-node}")
    (tmp_path / "spec.yaml").write_text(text)
    plan, problems = check_file("spec.yaml", env={"C2D_PRIVATE_KEY": "x"})
    assert problems == [] and plan.target.protocol == "ocean-node"
    assert plan.target.describe() == "mock (default world, Ocean Node)"
