"""Online paid targets in specs, project config and the command line: `rpc`, `address_file`, `--rpc`."""
from __future__ import annotations

import pytest

from c2d_runner.spec import check_file
from c2d_runner.spec.model import RemoteTarget
from tests.engine.test_run import c2d

SPEC = """\
version: 1
name: online
target: {{provider: 'https://provider.example', chain_id: 11155111, rpc: '{rpc}'{extra}}}
consumer: {{key: '${{C2D_PRIVATE_KEY}}'}}
jobs:
  j:
    dataset: {{did: 'did:op:{did}'}}
    algorithm: {{did: 'did:op:{did}'}}
""".replace("{did}", "a" * 64)


def _check(tmp_path, rpc: str, extra: str = "", env: dict | None = None):
    (tmp_path / "spec.yaml").write_text(SPEC.format(rpc=rpc, extra=extra))
    return check_file(tmp_path / "spec.yaml", env={"C2D_PRIVATE_KEY": "x", **(env or {})})


def test_a_spec_names_the_rpc_its_api_key_from_the_environment(tmp_path):
    (tmp_path / "address.json").write_text("{}")
    plan, problems = _check(tmp_path, "https://rpc.example/v3/${RPC_KEY}", ", address_file: address.json",
                            env={"RPC_KEY": "k123"})
    assert problems == []
    assert plan.target.rpc == "https://rpc.example/v3/k123"
    assert plan.target.address_file == (tmp_path / "address.json").resolve()
    assert plan.target.describe() == "provider https://provider.example (chain 11155111), paying on chain"


def test_a_bad_rpc_or_a_missing_address_file_is_a_diagnostic(tmp_path):
    _, problems = _check(tmp_path, "wss://rpc.example")
    assert [p.format().split(": ", 1)[1] for p in problems] == \
        ["error: must be an http:// or https:// URL (got 'wss://rpc.example') [target.rpc]"]
    _, problems = _check(tmp_path, "https://rpc.example", ", address_file: nowhere.json")
    assert len(problems) == 1 and "address file 'nowhere.json' not found" in problems[0].format()


def test_a_named_target_pays_on_its_rpc(tmp_path, monkeypatch):
    from c2d_runner.projectconfig import ProjectConfigError, find_config, named_target

    (tmp_path / "c2d.toml").write_text("""
[targets.sepolia]
provider = "https://provider.example"
chain_id = 11155111
rpc = "https://rpc.example/v3/${RPC_KEY}"
address_file = "address.json"

[targets.mock-rpc]
rpc = "https://rpc.example"
""")
    config = find_config(tmp_path)
    monkeypatch.delenv("RPC_KEY", raising=False)
    with pytest.raises(ProjectConfigError, match=r"rpc needs \$\{RPC_KEY\}, which is not set"):
        named_target("sepolia", config)
    monkeypatch.setenv("RPC_KEY", "k1")
    target = named_target("sepolia", config)
    assert isinstance(target, RemoteTarget) and target.rpc == "https://rpc.example/v3/k1"
    assert target.address_file == (tmp_path / "address.json").resolve()
    with pytest.raises(ProjectConfigError, match="rpc goes with provider = URL"):
        named_target("mock-rpc", config)


def test_rpc_option_needs_a_real_provider_and_a_url(tmp_path):
    (tmp_path / "hello.yaml").write_text("""version: 1
name: hello
jobs:
  j:
    dataset: {did: 'did:op:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a737945a1414ffa93e'}
    algorithm: {did: 'did:op:963617b402cd049f8127223c3f467f32e260f86ef7d4c7cf3b787cb811329a53'}
""")
    on_mock = c2d("plan", tmp_path / "hello.yaml", "--rpc", "http://127.0.0.1:8545", cwd=tmp_path)
    assert on_mock.exit_code == 2 and "--rpc needs a real provider" in on_mock.output
    not_url = c2d("run", tmp_path / "hello.yaml", "--rpc", "localhost:8545", cwd=tmp_path)
    assert not_url.exit_code == 2 and "must be an http:// or https:// JSON-RPC URL" in not_url.output


def test_the_online_example_is_a_valid_spec():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "paid-online.yaml"
    plan, problems = check_file(example, env={"C2D_RPC_URL": "https://rpc.example/v3/k", "C2D_PRIVATE_KEY": "x"})
    assert problems == []
    assert (plan.target.chain_id, plan.target.rpc) == (11155111, "https://rpc.example/v3/k")
    assert plan.consumer.env == "C2D_PRIVATE_KEY"
