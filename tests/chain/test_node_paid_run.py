"""The runner pays on an Ocean Node: a spec on `{mock, protocol: ocean-node, chain: true}` in the
priced environment orders each input for the environment's consumerAddress, makes the Escrow cover
the job, starts it paid, and records orders and Escrow transactions in run.json; a resumed run pays
nothing twice (orders and deposits counted on the chain it ran on)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.chain.conftest import count_spec, require_chain_extra
from tests.engine.test_run import c2d


def _priced_env() -> str:
    from mockprovider.node.envs import CLUSTER_HASH

    return f"{CLUSTER_HASH}-ocean-compute-priced"


def _spec(tmp_path: Path, chain: bool = True) -> Path:
    target = f"{{mock: null, protocol: ocean-node{', chain: true' if chain else ''}}}"
    return count_spec(tmp_path, "nodepaid", target, _priced_env(), timeout=90)


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
    # an empty Escrow: the plan prices its three transactions beside the two orders
    assert escrow["transactions"] == ["approve", "deposit", "authorize"] and costs["transactions"] == 5
    assert costs["gas"]["gas"] > 2 * 100_000 + 200_000 and costs["gas"]["estimated"] is False
    assert int(doc["totals"]["native"]) == int(costs["gas"]["cost"])
    text = c2d("plan", _spec(tmp_path), cwd=tmp_path).output
    assert "  escrow       " in text and "locked at start for" in text
    assert "; sends approve, deposit, authorize" in text
    [env_line] = [line for line in text.splitlines() if line.startswith("  environment  ")]
    assert f" OCEAN ({escrow['token']}) on chain 8996)" in env_line  # the price's token by its symbol


def test_max_spend_counts_the_escrow_lock(tmp_path):
    refused = c2d("run", _spec(tmp_path), "--max-spend", "0.000001", cwd=tmp_path)
    assert refused.exit_code != 0 and "above --max-spend 0.000001" in refused.output
    assert "the run would spend 2 OCEAN (0x" in refused.output  # whole tokens, by symbol
    assert not (tmp_path / "runs" / "nodepaid").exists()  # nothing was paid


def test_a_paid_environment_without_a_chain_is_refused_before_paying(tmp_path):
    result = c2d("plan", _spec(tmp_path, chain=False), cwd=tmp_path)
    assert result.exit_code == 1
    assert "is paid; paying on an Ocean Node needs a chain" in result.output


def test_a_paid_node_job_runs_and_records_orders_and_escrow(tmp_path):
    result = c2d("run", _spec(tmp_path), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "paid for dataset: startOrder 0x" in result.output and "escrow: deposit 0x" in result.output
    folder = _run_folder(tmp_path)
    payments = json.loads((folder / "run.json").read_text())["payments"]
    assert [(p.get("input"), p["how"]) for p in payments] == [
        ("dataset", "startOrder"), ("algorithm", "startOrder"), (None, "approve"), (None, "deposit"), (None, "authorize")]
    assert all(p["tx"].startswith("0x") and len(p["tx"]) == 66 for p in payments)
    deposit = payments[3]
    assert int(deposit["amount"]) > 0 and deposit["payee"] == payments[4]["payee"]
    assert list((folder / "count" / "outputs").iterdir()), "the job's results were downloaded"
    assert _on_chain(folder) == ([1, 1], 1)


def test_a_resumed_paid_node_run_pays_nothing_twice(tmp_path, monkeypatch):
    from c2d_runner.engine.journal import Journal

    spec = _spec(tmp_path)
    real_write = Journal.write

    def crash_after_the_deposit(self, event, **fields):
        real_write(self, event, **fields)
        if event == "escrow" and fields["how"] == "deposit":  # killed once the deposit is mined and journaled
            raise RuntimeError("killed after the Escrow deposit")

    monkeypatch.setattr(Journal, "write", crash_after_the_deposit)
    first = c2d("run", spec, cwd=tmp_path)
    assert first.exit_code != 0
    monkeypatch.setattr(Journal, "write", real_write)
    folder = _run_folder(tmp_path)
    before = _events(folder)
    resumed = c2d("run", spec, "--resume", folder, cwd=tmp_path)
    assert resumed.exit_code == 0, resumed.output
    after = _events(folder)[len(before):]
    assert [e for e in after if e["event"] == "paid"] == []  # the orders were offered again and held
    assert [e["how"] for e in after if e["event"] == "escrow"] == ["authorize"]  # the deposit was there
    assert _on_chain(folder) == ([1, 1], 1)


def test_two_paid_jobs_at_once_each_have_their_escrow_cover(tmp_path):
    """Run in parallel, the second cover comes after the first job's lock took its funds, so it
    deposits again and widens the authorization to two locks (else the node would refuse it)."""
    spec = _spec(tmp_path)
    text = spec.read_text()
    job = text[text.index("  count:"):]
    spec.write_text(text + job.replace("  count:", "  again:"))
    result = c2d("run", spec, "--jobs", "2", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    folder = _run_folder(tmp_path)
    escrow = [e for e in _events(folder) if e["event"] == "escrow"]
    assert sorted(e["how"] for e in escrow) == ["approve", "approve", "authorize", "authorize", "deposit", "deposit"]
    assert _on_chain(folder)[1] == 2
