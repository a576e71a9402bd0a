"""The runner pays: a spec on a chain target orders each input on chain, records what it paid in
run.json, and a resumed run pays nothing twice (orders counted on the chain it ran on)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.chain.conftest import CORPUS, WORDCOUNT, count_spec, require_chain_extra
from tests.engine.test_run import c2d


def _spec(tmp_path: Path, environment: str = "free") -> Path:
    return count_spec(tmp_path, "paid", "{mock: null, chain: true}", environment)


def _run_folder(tmp_path: Path) -> Path:
    [folder] = [f for f in (tmp_path / "runs" / "paid").iterdir() if not f.is_symlink()]  # past runs/<spec>/latest
    return folder


def _orders_on_chain(folder: Path, txs: list[str]) -> list[int]:
    """Per order tx, how many OrderStarted events its datatoken has ever emitted, on the run's saved chain."""
    from c2d_runner.chain.local import LocalChain

    chain = LocalChain.boot(state_file=folder / "mock-state" / "chain-state.bin")
    counts = []
    for tx in txs:
        receipt = chain.w3.eth.get_transaction_receipt(tx)
        assert receipt["status"] == 1
        dt = chain.contract("ERC20Template", receipt["to"])
        counts.append(len(dt.events.OrderStarted().get_logs(from_block=0)))
    return counts


@pytest.fixture(autouse=True)
def _extra():
    require_chain_extra()


@pytest.mark.parametrize("environment", ["free", "ocean-compute-priced"])
def test_a_paid_run_orders_each_input_and_records_the_payments(tmp_path, environment):
    result = c2d("run", _spec(tmp_path, environment), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "paid for dataset: startOrder 0x" in result.output
    folder = _run_folder(tmp_path)
    payments = json.loads((folder / "run.json").read_text())["payments"]
    assert [(p["input"], p["how"]) for p in payments] == [("dataset", "startOrder"), ("algorithm", "startOrder")]
    assert all(p["tx"].startswith("0x") and len(p["tx"]) == 66 for p in payments)
    assert payments[0]["did"] == CORPUS and payments[1]["did"] == WORDCOUNT
    charged = int(payments[0]["fee_amount"])
    assert (charged > 0) == (environment != "free")
    assert _orders_on_chain(folder, [p["tx"] for p in payments]) == [1, 1]


def test_a_run_resumed_after_paying_pays_nothing_twice(tmp_path, monkeypatch):
    from c2d_runner.engine.journal import Journal

    spec = _spec(tmp_path)
    real_write = Journal.write

    def crash_before_starting(self, event, **fields):
        if event == "starting":  # the process dies after paying, before the start is journaled
            raise RuntimeError("killed after paying")
        return real_write(self, event, **fields)

    monkeypatch.setattr(Journal, "write", crash_before_starting)
    first = c2d("run", spec, cwd=tmp_path)
    assert first.exit_code != 0
    monkeypatch.setattr(Journal, "write", real_write)
    folder = _run_folder(tmp_path)
    paid_first = [e["tx"] for e in map(json.loads, (folder / "journal.jsonl").read_text().splitlines())
                  if e["event"] == "paid"]
    assert len(paid_first) == 2
    resumed = c2d("run", spec, "--resume", folder, cwd=tmp_path)
    assert resumed.exit_code == 0, resumed.output
    events = list(map(json.loads, (folder / "journal.jsonl").read_text().splitlines()))
    assert [e["tx"] for e in events if e["event"] == "paid"] == paid_first  # nothing paid on resume
    starting = next(e for e in events if e["event"] == "starting")
    assert [starting["orders"]["dataset"], starting["orders"]["algorithm"]] == paid_first
    assert _orders_on_chain(folder, paid_first) == [1, 1]


def test_a_chain_free_run_still_needs_no_chain(tmp_path):
    spec = _spec(tmp_path).read_text().replace("{mock: null, chain: true}", "mock")
    (tmp_path / "free.yaml").write_text(spec)
    result = c2d("run", tmp_path / "free.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "paid for" not in result.output
    assert json.loads((_run_folder(tmp_path) / "run.json").read_text())["payments"] == []


def test_plan_shows_the_costs_before_anything_is_paid(tmp_path):
    spec = _spec(tmp_path, "ocean-compute-priced")
    result = c2d("plan", spec, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "order        dataset: startOrder (1 datatoken, provider fee" in result.output
    assert "order        algorithm: startOrder (1 datatoken, no provider fee)" in result.output
    assert "would spend: " in result.output
    doc = json.loads(c2d("plan", spec, "--format", "json", cwd=tmp_path).output)
    costs = doc["jobs"][0]["costs"]
    assert costs["transactions"] == 3  # approve the fee, then two startOrders
    fee = int(costs["orders"][0]["fee_amount"])
    assert fee > 0 and doc["totals"][costs["orders"][0]["fee_token"]] == str(fee)
    assert doc["totals"][costs["orders"][1]["datatoken"]] == str(10**18)


def test_max_spend_refuses_a_run_above_it_and_pays_nothing(tmp_path):
    spec = _spec(tmp_path, "ocean-compute-priced")
    refused = c2d("run", spec, "--max-spend", "0.5", cwd=tmp_path)
    assert refused.exit_code != 0
    assert "above --max-spend 0.5" in refused.output
    assert not (tmp_path / "runs" / "paid").exists()  # a refused run keeps no folder: nothing was paid
    allowed = c2d("run", spec, "--max-spend", "100", "--out", tmp_path / "again", cwd=tmp_path)
    assert allowed.exit_code == 0, allowed.output


def test_order_costs_is_pure_over_initialize_answers():
    from types import SimpleNamespace as NS

    from c2d_runner.engine.costs import add_totals, order_costs
    from c2d_runner.ocean.records import OrderItem

    fee = {"providerFeeAmount": "5", "providerFeeToken": "0xOCEAN"}
    init = NS(datasets=(OrderItem("0xDT1", None, fee), OrderItem("0xDT2", "0xold", fee)),
              algorithm=OrderItem("0xDT3", "0xvalid", None))
    inputs = [(n, NS(did=f"did:{n}", service=NS(datatoken=""))) for n in ("dataset", "additional.0", "algorithm")]
    costs = order_costs(init, inputs)
    assert [o["how"] for o in costs["orders"]] == ["startOrder", "reuseOrder", "validOrder"]
    assert costs["transactions"] == 4 and costs["totals"] == {"0xDT1": str(10**18), "0xOCEAN": "10"}
    assert add_totals([costs, costs])["0xOCEAN"] == "20"


def _sweep(tmp_path: Path, jobs: int = 5) -> Path:
    spec = _spec(tmp_path).read_text().replace(
        "    expect: {status: finished}\n",
        "    algocustomdata: {n: 0}\n    matrix:\n      algocustomdata.n: [" + ", ".join(map(str, range(jobs)))
        + "]\n    expect: {status: finished}\n")
    path = tmp_path / "paid.yaml"
    path.write_text(spec)
    return path


@pytest.mark.parametrize("reuse, orders", [((), 1), (("--no-order-reuse",), 5)])
def test_a_paid_sweep_pays_one_order_per_input_while_it_holds(tmp_path, reuse, orders):
    result = c2d("run", _sweep(tmp_path), "--jobs", "4", *reuse, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    folder = _run_folder(tmp_path)
    payments = json.loads((folder / "run.json").read_text())["payments"]
    started = [e for e in map(json.loads, (folder / "journal.jsonl").read_text().splitlines())
               if e["event"] == "started"]
    assert len(started) == len({e["job_id"] for e in started}) == 5
    dataset = [p["tx"] for p in payments if p["input"] == "dataset"]
    algorithm = [p["tx"] for p in payments if p["input"] == "algorithm"]
    if reuse:
        assert len(dataset) == len(algorithm) == orders
    else:
        # One algorithm order for the sweep; the dataset's order is each running job's agreementId,
        # so jobs running at once (--jobs 4) may each need one of their own, never more.
        assert len(algorithm) == 1 and 1 <= len(dataset) <= 4
    counts = _orders_on_chain(folder, [dataset[0], algorithm[0]])
    assert counts == [len(dataset), len(algorithm)]


def test_a_resumed_paid_sweep_pays_nothing_twice(tmp_path, monkeypatch):
    from c2d_runner.engine.journal import Journal

    spec = _sweep(tmp_path)
    real_write = Journal.write

    def crash_at_first_start(self, event, **fields):
        if event == "starting":  # the process dies after the first job paid, before anything started
            raise RuntimeError("killed after paying")
        return real_write(self, event, **fields)

    monkeypatch.setattr(Journal, "write", crash_at_first_start)
    assert c2d("run", spec, "--jobs", "1", cwd=tmp_path).exit_code != 0
    monkeypatch.setattr(Journal, "write", real_write)
    folder = _run_folder(tmp_path)
    paid_first = [e["tx"] for e in map(json.loads, (folder / "journal.jsonl").read_text().splitlines())
                  if e["event"] == "paid"]
    assert len(paid_first) == 2
    resumed = c2d("run", spec, "--resume", folder, "--jobs", "1", cwd=tmp_path)
    assert resumed.exit_code == 0, resumed.output
    events = list(map(json.loads, (folder / "journal.jsonl").read_text().splitlines()))
    assert [e["tx"] for e in events if e["event"] == "paid"] == paid_first  # the sweep paid once, in all
    assert _orders_on_chain(folder, paid_first) == [1, 1]
