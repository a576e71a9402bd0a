"""The runner pays on an Ocean Node: a spec on `{mock, protocol: ocean-node, chain: true}` in the
priced environment orders each input for the environment's consumerAddress, makes the Escrow cover
the job, starts it paid, and records orders and Escrow transactions in run.json; a resumed run pays
nothing twice (orders and deposits counted on the chain it ran on)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.chain.conftest import require_chain_extra
from tests.engine.test_run import c2d

CORPUS = "did:op:f6c1c1baee952b2601f14cea2718d0892944c466e5d3fa37b757e3e7a9cf6b4c"
WORDCOUNT = "did:op:963617b402cd049f8127223c3f467f32e260f86ef7d4c7cf3b787cb811329a53"


def _priced_env() -> str:
    from mockprovider.node.envs import CLUSTER_HASH

    return f"{CLUSTER_HASH}-ocean-compute-priced"


def _spec(tmp_path: Path, chain: bool = True) -> Path:
    spec = tmp_path / "nodepaid.yaml"
    spec.write_text(f"""version: 1
name: nodepaid
target: {{mock: null, protocol: ocean-node{", chain: true" if chain else ""}}}
jobs:
  count:
    dataset: {{did: "{CORPUS}"}}
    algorithm: {{did: "{WORDCOUNT}"}}
    environment: "{_priced_env()}"
    timeout: 90
    expect: {{status: finished}}
""")
    return spec


def _events(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "journal.jsonl").read_text().splitlines()]


def _run_folder(tmp_path: Path) -> Path:
    [folder] = [f for f in (tmp_path / "runs" / "nodepaid").iterdir() if not f.is_symlink()]
    return folder


def _on_chain(folder: Path) -> tuple[list[int], int]:
    """(OrderStarted events per paid datatoken, Escrow Deposit events), on the run's saved chain."""
    from c2d_runner.chain.local import LocalChain

    chain = LocalChain.boot(state_file=folder / "mock-state" / "chain-state.bin")
    orders = []
    for event in _events(folder):
        if event["event"] == "paid":
            dt = chain.contract("ERC20Template", event["datatoken"])
            orders.append(len(dt.events.OrderStarted().get_logs(from_block=0)))
    return orders, len(chain.deployed("Escrow").events.Deposit().get_logs(from_block=0))


@pytest.fixture(autouse=True)
def _extra():
    require_chain_extra()


def test_plan_shows_orders_and_the_escrow_lock_before_anything_is_paid(tmp_path):
    doc = json.loads(c2d("plan", _spec(tmp_path), "--format", "json", cwd=tmp_path).output)
    costs = doc["jobs"][0]["costs"]
    assert [(o["input"], o["how"]) for o in costs["orders"]] == [("dataset", "startOrder"), ("algorithm", "startOrder")]
    escrow = costs["escrow"]
    assert escrow["minLockSeconds"] == 90 + 3600 and int(escrow["amount"]) > 0
    assert doc["totals"][escrow["token"]] == escrow["amount"]  # the provider fees are 0 on the mock node
    text = c2d("plan", _spec(tmp_path), cwd=tmp_path).output
    assert "  escrow       " in text and "locked at start for" in text


def test_max_spend_counts_the_escrow_lock(tmp_path):
    refused = c2d("run", _spec(tmp_path), "--max-spend", "0.000001", cwd=tmp_path)
    assert refused.exit_code != 0 and "above --max-spend 0.000001" in refused.output
    assert not (tmp_path / "runs" / "nodepaid").exists()  # nothing was paid


def test_a_paid_environment_without_a_chain_is_refused_before_paying(tmp_path):
    result = c2d("plan", _spec(tmp_path, chain=False), cwd=tmp_path)
    assert result.exit_code == 1
    assert "is paid; paying on an Ocean Node needs a chain" in result.output

