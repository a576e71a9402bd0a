"""Paid compute online: `target: {provider: URL, rpc: URL}` with the consumer's key from the environment,
run for real against the local chain's loopback JSON-RPC bridge as if it were a public RPC (the mock's
Provider protocol verifying the orders on that chain). Each refusal is checked to send nothing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.chain.conftest import CORPUS, WORDCOUNT, count_spec, require_chain_extra
from tests.engine.test_run import c2d

KEY_VAR = "C2D_ONLINE_TEST_KEY"


@pytest.fixture(scope="module")
def online(tmp_path_factory):
    """A mock Provider on a local chain, and the chain's JSON-RPC bridge: (mock, ChainHandle)."""
    require_chain_extra()
    from c2d_runner.connect import local_chain, mock_ocean

    state = tmp_path_factory.mktemp("online")
    with local_chain(None, state / "chain") as handle:
        with mock_ocean(state_dir=state / "mock", chain=handle.chain) as mock:
            yield mock, handle


def _spec(tmp_path: Path, online, environment: str = "free", **target) -> Path:
    mock, handle = online
    fields = {"provider": mock.url, "rpc": handle.rpc, "chain_id": 8996, "address_file": str(handle.address_file),
              **target}
    return count_spec(tmp_path, "online", json.dumps({k: v for k, v in fields.items() if v is not None}),
                      environment, extra=f'consumer: {{key: "${{{KEY_VAR}}}"}}\n')


def _account(online, eth: int = 0, datatokens: int = 0, ocean: int = 0):
    """A fresh account given `eth` wei of the native coin, `datatokens` of each world datatoken and
    `ocean` wei of OCEAN, from the funded TEST accounts (in process)."""
    from eth_account import Account

    from c2d_runner.chain.accounts import known_account
    from c2d_runner.chain.tx import send

    _, handle = online
    chain, account = handle.chain, Account.create()
    deployer, consumer = known_account("deployer"), known_account("consumer")
    if eth:
        with chain.lock:
            tx = chain.w3.eth.send_transaction({"from": deployer.address, "to": account.address, "value": eth})
            chain.w3.eth.wait_for_transaction_receipt(tx)
    for datatoken in _world_datatokens(online) if datatokens else ():
        send(chain.w3, consumer, chain.contract("ERC20Template", datatoken).functions.transfer(
            account.address, datatokens), "giving datatokens")
    if ocean:
        send(chain.w3, consumer, chain.deployed("Ocean").functions.transfer(account.address, ocean), "giving OCEAN")
    return account


def _world_datatokens(online) -> list[str]:
    import requests

    mock, _ = online
    tokens = []
    for did in (CORPUS, WORDCOUNT):
        ddo = requests.get(f"{mock.url}/api/aquarius/assets/ddo/{did}", timeout=10).json()
        tokens += [s["datatokenAddress"] for s in ddo["services"]]
    return tokens


def _orders_sent(online, account: str) -> int:
    """Transactions `account` has sent (its nonce): a refused run must leave it at 0."""
    _, handle = online
    return handle.chain.w3.eth.get_transaction_count(account)


def _refused(result, online, account) -> str:
    """The run's output, after checking the job failed with a message (not as a bug) and `account` sent nothing."""
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert _orders_sent(online, account.address) == 0
    return result.output


def _run(tmp_path: Path, spec: Path, key: str, monkeypatch, *args):
    monkeypatch.setenv(KEY_VAR, key)
    return c2d("run", spec, "--out", tmp_path / "runs", *args, cwd=tmp_path)


@pytest.mark.parametrize("environment", ["free", "ocean-compute-priced"])
def test_an_online_target_pays_on_the_rpc_and_the_job_passes(tmp_path, online, monkeypatch, environment):
    from c2d_runner.wire import TEST_CONSUMER_KEY

    result = _run(tmp_path, _spec(tmp_path, online, environment), TEST_CONSUMER_KEY, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "paying on chain" in result.output and "paid for dataset: startOrder 0x" in result.output
    [folder] = [f for f in (tmp_path / "runs" / "online").iterdir() if not f.is_symlink()]
    payments = json.loads((folder / "run.json").read_text())["payments"]
    assert [(p["input"], p["how"]) for p in payments] == [("dataset", "startOrder"), ("algorithm", "startOrder")]
    assert (int(payments[0]["fee_amount"]) > 0) == (environment != "free")
    assert TEST_CONSUMER_KEY[2:] not in (folder / "journal.jsonl").read_text()


def test_a_target_without_a_chain_id_runs_on_the_rpcs_chain(tmp_path, online, monkeypatch):
    from c2d_runner.wire import TEST_CONSUMER_KEY

    result = _run(tmp_path, _spec(tmp_path, online, chain_id=None), TEST_CONSUMER_KEY, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "paid for dataset: startOrder 0x" in result.output


def test_rpc_on_the_command_line_makes_a_remote_target_pay(tmp_path, online, monkeypatch):
    from c2d_runner.wire import TEST_CONSUMER_KEY

    _, handle = online
    result = _run(tmp_path, _spec(tmp_path, online, rpc=None), TEST_CONSUMER_KEY, monkeypatch, "--rpc", handle.rpc)
    assert result.exit_code == 0, result.output
    assert "paid for algorithm: startOrder 0x" in result.output


ETH = 10**18


def _plan_refused(result, online, account) -> str:
    """The run's output, after checking the run was refused before any job (exit 1, no folder) and
    `account` sent nothing."""
    assert result.exit_code == 1, result.output
    assert "plan refused, nothing was started" in result.output
    assert _orders_sent(online, account.address) == 0
    return result.output


def test_a_run_the_account_cannot_pay_for_is_refused_before_anything_is_sent(tmp_path, online, monkeypatch):
    account = _account(online, eth=ETH)  # gas money, no datatokens, no OCEAN
    output = _plan_refused(_run(tmp_path, _spec(tmp_path, online, "ocean-compute-priced"), account.key.hex(),
                                monkeypatch), online, account)
    has = f"the consumer {account.address} has 0; nothing was paid"
    assert f"the run needs 1 datatoken DT-A1-1 (0x" in output and f"the run needs 1 datatoken DT-A4-1 (0x" in output
    assert " OCEAN (0x" in output and output.count(has) == 3


def test_a_run_without_gas_money_is_refused_before_anything_is_sent(tmp_path, online, monkeypatch):
    account = _account(online, datatokens=ETH)
    output = _plan_refused(_run(tmp_path, _spec(tmp_path, online), account.key.hex(), monkeypatch), online, account)
    assert "the run needs 0.000" in output and " of the chain's native coin for gas, the consumer " in output


def _paying(online, account, priced: bool = False):
    """(ChainPayer over the bridge for `account`, an initializeCompute item for the corpus' compute
    service with the mock provider's signed fee, the ComputeInput it prices)."""
    from types import SimpleNamespace as NS

    import requests

    import mockprovider.payment
    from c2d_runner.ocean.payer import ChainPayer
    from c2d_runner.ocean.records import OrderItem
    from c2d_runner.chain.accounts import known_account
    from c2d_runner.wire import TEST_PROVIDER_KEY

    mock, handle = online
    ddo = requests.get(f"{mock.url}/api/aquarius/assets/ddo/{CORPUS}", timeout=10).json()
    service = ddo["services"][0]
    token, amount = (handle.chain.addresses["Ocean"], 5 * ETH) if priced else ("0x" + "0" * 40, 0)
    now = handle.chain.now()
    fee = mockprovider.payment.sign_provider_fee("ocean-compute", service["datatokenAddress"], service["id"],
                                                 known_account("provider").address, token, amount, now + 3600, now,
                                                 TEST_PROVIDER_KEY)
    compute_input = NS(did=CORPUS, service=NS(id=service["id"], datatoken=service["datatokenAddress"]),
                       ddo=NS(services=[NS(id=s["id"]) for s in ddo["services"]]))
    return ChainPayer(handle.rpc, account, 8996), OrderItem(service["datatokenAddress"], None, fee), compute_input


@pytest.mark.parametrize("funds, priced, error, says", [
    ({"eth": ETH}, False, "NotEnoughDatatokens", "startOrder needs 1 datatoken DT-A1-1 (0x"),
    ({"eth": ETH, "datatokens": ETH}, True, "NotEnoughFeeTokens", "the provider fee needs 5 OCEAN (0x"),
    ({"datatokens": ETH, "ocean": 5 * ETH}, True, "NotEnoughGas", "the order's gas needs 0.000"),
])
def test_each_order_checks_the_funds_it_needs_before_sending(online, funds, priced, error, says):
    """What the run checks for all jobs at once, each order checks again for itself, just before it
    is sent (a resumed run, or balances that moved since): nothing is sent when it falls short."""
    import c2d_runner.ocean.funds

    account = _account(online, **funds)
    payer, item, compute_input = _paying(online, account, priced)
    with pytest.raises(getattr(c2d_runner.ocean.funds, error)) as refused:
        payer.pay(item, compute_input)
    assert says in str(refused.value) and str(refused.value).endswith(f"the consumer {account.address} has 0; "
                                                                     "nothing was sent")
    assert _orders_sent(online, account.address) == 0


def test_an_order_with_the_funds_it_needs_is_paid(online):
    account = _account(online, eth=ETH, datatokens=ETH, ocean=5 * ETH)
    payer, item, compute_input = _paying(online, account, priced=True)
    payment = payer.pay(item, compute_input)
    assert payment.how == "startOrder" and payment.fee_amount == 5 * ETH
    assert _orders_sent(online, account.address) == 2  # the fee's approve, then startOrder


def test_a_reverting_order_is_reported_with_its_revert_reason(tmp_path, online, monkeypatch):
    import mockprovider.payment
    from c2d_runner.chain.accounts import TEST_OTHER_CONSUMER_KEY

    real = mockprovider.payment.sign_provider_fee

    def signed_by_someone_else(*args, **kwargs):  # a provider whose fee signature does not match its address
        return real(*args[:-1], TEST_OTHER_CONSUMER_KEY, **kwargs)

    monkeypatch.setattr(mockprovider.payment, "sign_provider_fee", signed_by_someone_else)
    account = _account(online, eth=ETH, datatokens=ETH)
    result = _run(tmp_path, _spec(tmp_path, online), account.key.hex(), monkeypatch)
    output = _refused(result, online, account)
    assert "startOrder on 0x" in output and "reverted on chain: Invalid provider fee" in output


def test_an_rpc_of_another_chain_is_refused_before_anything_is_sent(tmp_path, online, monkeypatch):
    from c2d_runner.wire import TEST_CONSUMER_KEY

    result = _run(tmp_path, _spec(tmp_path, online, chain_id=137), TEST_CONSUMER_KEY, monkeypatch)
    assert result.exit_code == 2, result.output
    assert "has chain id 8996, but the assets are on chain 137" in result.output


def test_a_chain_ocean_is_not_deployed_on_needs_an_address_file(tmp_path, online, monkeypatch):
    from c2d_runner.wire import TEST_CONSUMER_KEY

    result = _run(tmp_path, _spec(tmp_path, online, address_file=None), TEST_CONSUMER_KEY, monkeypatch)
    assert result.exit_code == 2, result.output
    assert "chain id 8996 has no Ocean deployment in ocean-contracts" in result.output
    assert "give address_file:" in result.output


def test_an_rpc_that_does_not_answer_is_an_infrastructure_failure(tmp_path, online, monkeypatch):
    import socket

    from c2d_runner.wire import TEST_CONSUMER_KEY

    with socket.socket() as bound:  # a port this test holds and never listens on: connections are refused
        bound.bind(("127.0.0.1", 0))
        rpc = f"http://127.0.0.1:{bound.getsockname()[1]}/v3/secret-api-key"
        result = _run(tmp_path, _spec(tmp_path, online, rpc=rpc), TEST_CONSUMER_KEY, monkeypatch)
    assert result.exit_code == 3, result.output
    assert "the chain's JSON-RPC at http://127.0.0.1:" in result.output and "does not answer" in result.output
    assert "secret-api-key" not in result.output


def test_plan_prices_the_orders_gas_on_the_rpc_and_sends_nothing(tmp_path, online, monkeypatch):
    from eth_account import Account

    from c2d_runner.wire import TEST_CONSUMER_KEY

    monkeypatch.setenv(KEY_VAR, TEST_CONSUMER_KEY)
    consumer = Account.from_key(TEST_CONSUMER_KEY).address
    sent = _orders_sent(online, consumer)
    spec = _spec(tmp_path, online, "ocean-compute-priced")
    text = c2d("plan", spec, cwd=tmp_path)
    assert text.exit_code == 0, text.output
    assert "  gas          about 0.000" in text.output and " native coin (" in text.output
    assert "native coin for gas" in text.output.splitlines()[-1]
    doc = json.loads(c2d("plan", spec, "--format", "json", cwd=tmp_path).output)
    gas = doc["jobs"][0]["costs"]["gas"]
    # the fee's approve is estimated, the dataset's startOrder after it is typical, the algorithm's estimated
    assert gas["estimated"] is False and 300_000 < gas["gas"] < 700_000
    assert int(gas["cost"]) == gas["gas"] * int(gas["price"]) == int(doc["totals"]["native"])
    # tokens by their symbol: OCEAN for the fee, the datatokens' own
    ocean = online[1].chain.addresses["Ocean"]
    assert doc["symbols"][ocean] == "OCEAN" and set(doc["symbols"]) == set(doc["totals"]) - {"native"}
    assert f" OCEAN ({ocean})" in text.output.splitlines()[-1] and f" OCEAN ({ocean}))" in text.output
    assert _orders_sent(online, consumer) == sent


def test_token_symbols_are_asked_once_and_a_token_without_one_keeps_its_address(online, monkeypatch):
    from eth_account import Account

    from c2d_runner.ocean import funds
    from c2d_runner.ocean.payer import ChainPayer

    _, handle = online
    payer = ChainPayer(handle.rpc, Account.create(), 8996)
    asked = []
    symbol = funds.token_symbol
    monkeypatch.setattr(funds, "token_symbol", lambda token: asked.append(token.address) or symbol(token))
    ocean, nobody = handle.chain.addresses["Ocean"], Account.create().address  # no contract there: symbol() fails
    assert payer.symbols([ocean, nobody]) == {ocean: "OCEAN"}
    assert payer.symbols([ocean, nobody, ocean]) == {ocean: "OCEAN"}
    assert sorted(asked) == sorted([ocean, nobody])


@pytest.fixture(scope="module")
def online_node(tmp_path_factory):
    """A mock Ocean Node on a local chain, and the chain's JSON-RPC bridge: (mock, ChainHandle)."""
    require_chain_extra()
    from c2d_runner.connect import local_chain, mock_ocean

    state = tmp_path_factory.mktemp("online-node")
    with local_chain(None, state / "chain") as handle:
        with mock_ocean(state_dir=state / "mock", chain=handle.chain, protocol="ocean-node") as mock:
            yield mock, handle


def test_an_online_ocean_node_target_pays_orders_and_escrow_on_the_rpc(tmp_path, online_node, monkeypatch):
    from mockprovider.node.envs import CLUSTER_HASH

    from c2d_runner.wire import TEST_CONSUMER_KEY

    spec = _spec(tmp_path, online_node, f"{CLUSTER_HASH}-ocean-compute-priced", chain_id=None, protocol="ocean-node")
    result = _run(tmp_path, spec, TEST_CONSUMER_KEY, monkeypatch)
    assert result.exit_code == 0, result.output
    [folder] = [f for f in (tmp_path / "runs" / "online").iterdir() if not f.is_symlink()]
    payments = json.loads((folder / "run.json").read_text())["payments"]
    assert [(p.get("input"), p["how"]) for p in payments] == [
        ("dataset", "startOrder"), ("algorithm", "startOrder"), (None, "approve"), (None, "deposit"),
        (None, "authorize")]
    assert "escrow: deposit 0x" in result.output
