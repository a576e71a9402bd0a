"""The pure parts of paying online, without sockets: address books, RPC labels, shortfall messages,
gas fallbacks, the error tree."""
from __future__ import annotations

from types import SimpleNamespace as NS

import pytest

from c2d_runner import exitcodes

BOOK = {"sepolia": {"chainId": 11155111, "Ocean": "0x1B083D8584dd3e6Ff37d04a6e7e82b5F622f3985",
                    "Escrow": "0x4Fd5ECf4Af8490418462A7d80e90A0530eFb9ac5", "ERC721Factory": {"1": "0xabc"}},
        "base": {"chainId": 8453, "Escrow": "0x3E85e7Cb15880b6d4871092E74bF65CE03E8448D"}}


def test_network_entry_by_chain_id_and_a_clear_error_for_an_unknown_one():
    from c2d_runner.chain.addresses import UnknownChain, network_entry

    sepolia = network_entry(BOOK, 11155111, "book")
    assert (sepolia.network, sepolia.get("Escrow"), sepolia.get("ERC721Factory")) == \
        ("sepolia", "0x4Fd5ECf4Af8490418462A7d80e90A0530eFb9ac5", None)
    assert network_entry(BOOK, 8453, "book").get("Ocean") is None  # no OCEAN on base: the provider must say
    with pytest.raises(UnknownChain, match=r"chain id 5 has no Ocean deployment in book \(it knows: base 8453, "
                                           r"sepolia 11155111\); for another chain give address_file:"):
        network_entry(BOOK, 5, "book")
    assert UnknownChain.exit_code == exitcodes.INVALID


def test_an_address_file_replaces_the_wheels_book(tmp_path):
    import json

    from c2d_runner.chain.addresses import UnknownChain, network_addresses

    path = tmp_path / "address.json"
    path.write_text(json.dumps({"development": {"chainId": 8996, "Ocean": "0x" + "1" * 40}}))
    assert network_addresses(8996, path).get("Ocean") == "0x" + "1" * 40
    path.write_text("[1]")
    with pytest.raises(UnknownChain, match="is not an address.json"):
        network_addresses(8996, path)
    with pytest.raises(UnknownChain, match="cannot read the address file"):
        network_addresses(8996, tmp_path / "missing.json")


def test_the_installed_wheel_knows_the_public_networks():
    pytest.importorskip("web3", reason="the chain extra")
    from c2d_runner.chain.addresses import network_addresses

    assert network_addresses(11155111).get("Escrow") == "0x4Fd5ECf4Af8490418462A7d80e90A0530eFb9ac5"


def test_rpc_label_keeps_api_keys_out_of_messages():
    from c2d_runner.chain.rpc import rpc_label

    assert rpc_label("https://mainnet.infura.io/v3/0123secret") == "https://mainnet.infura.io/..."
    assert rpc_label("https://rpc.example/?key=secret") == "https://rpc.example/..."
    assert rpc_label("http://127.0.0.1:8545") == "http://127.0.0.1:8545"


def test_amounts_and_shortfalls_say_what_is_missing_and_how_much():
    from c2d_runner.ocean.funds import (NotEnoughDatatokens, NotEnoughFeeTokens, NotEnoughGas, amount_text,
                                        gwei_text, shortfall)

    assert (amount_text(2_500_000_000_000_000_000), amount_text(10**18), amount_text(0)) == ("2.5", "1", "0")
    assert gwei_text(1_050_000_000) == "1.05 gwei"
    assert shortfall("gas", "x", 5, 5, "0xA") is None
    error = shortfall("datatoken", "DT-1 (0xD)", 10**18, 0, "0xA")
    assert isinstance(error, NotEnoughDatatokens)
    assert str(error) == "startOrder needs 1 datatoken DT-1 (0xD), the consumer 0xA has 0; nothing was sent"
    error = shortfall("fee", "OCEAN (0xO)", 3 * 10**18, 10**18, "0xA")
    assert isinstance(error, NotEnoughFeeTokens)
    assert str(error) == "the provider fee needs 3 OCEAN (0xO), the consumer 0xA has 1; nothing was sent"
    error = shortfall("gas", "300000 gas at up to 2 gwei", 6 * 10**14, 10**14, "0xA")
    assert isinstance(error, NotEnoughGas) and str(error).startswith(
        "the order's gas needs 0.0006 of the chain's native coin (300000 gas at up to 2 gwei), the consumer 0xA has 0.0001")


class _Call:
    """A ContractFunction stand-in: estimate_gas answers `gas` or raises `error`."""

    def __init__(self, fn_name: str, gas: int = 0, error: Exception | None = None):
        self.fn_name, self.address, self.gas, self.error = fn_name, "0xC", gas, error

    def estimate_gas(self, params):
        if self.error:
            raise self.error
        return self.gas


def test_order_gas_estimates_what_can_run_and_counts_typical_gas_for_the_rest():
    from c2d_runner.ocean.funds import TYPICAL_GAS, GasEstimate, order_gas

    assert order_gas("0xA", _Call("startOrder", 210_000)) == GasEstimate(210_000, True)
    # after an approve the order cannot be dry-run: the typical figure stands in
    assert order_gas("0xA", _Call("startOrder", 1), _Call("approve", 46_000)) == \
        GasEstimate(46_000 + TYPICAL_GAS["startOrder"], False)
    # a node that refuses the estimate itself (eth-tester, for an account with no coin)
    refused = _Call("reuseOrder", error=ValueError("cannot afford txn gas"))
    assert order_gas("0xA", refused) == GasEstimate(TYPICAL_GAS["reuseOrder"], False)


def test_an_order_that_would_revert_says_why_before_it_is_sent():
    pytest.importorskip("web3", reason="the chain extra")
    from web3.exceptions import ContractLogicError

    from c2d_runner.chain.tx import TransactionReverted
    from c2d_runner.ocean.funds import order_gas

    reverting = _Call("startOrder", error=ContractLogicError("execution reverted: Invalid provider fee"))
    with pytest.raises(TransactionReverted, match="startOrder on 0xC reverted on chain: Invalid provider fee"):
        order_gas("0xA", reverting)


def test_paying_errors_are_client_errors_of_the_right_category():
    from c2d_runner.errors import InfrastructureFailure, InvalidInput, JobFailure
    from c2d_runner.ocean.errors import OceanError
    from c2d_runner.ocean.funds import NotEnoughFunds
    from c2d_runner.ocean.payer import ChainMismatch, ChainUnreachable, OrderReverted

    # OceanErrors end the job with their message; the category gives the exit code
    assert issubclass(NotEnoughFunds, (OceanError, JobFailure)) and NotEnoughFunds.exit_code == exitcodes.FAILED
    assert issubclass(OrderReverted, JobFailure) and issubclass(OrderReverted, OceanError)
    assert issubclass(ChainUnreachable, InfrastructureFailure) and ChainUnreachable.exit_code == 3
    assert ChainMismatch.exit_code == InvalidInput.exit_code == 2


def test_a_mined_failure_is_replayed_for_its_reason():
    pytest.importorskip("web3", reason="the chain extra")
    from web3.exceptions import ContractLogicError

    from c2d_runner.chain.tx import replayed_reason

    asked = []

    def call(tx, block):
        asked.append((tx, block))
        raise ContractLogicError("execution reverted: Not enough datatokens to start Order")

    w3 = NS(eth=NS(call=call))
    tx = {"from": "0xA", "to": "0xD", "data": "0x12", "value": 0, "gas": 9, "nonce": 3}
    assert replayed_reason(w3, tx, 10) == "Not enough datatokens to start Order"
    assert asked == [({"from": "0xA", "to": "0xD", "data": "0x12", "value": 0, "gas": 9}, 9)]
    assert replayed_reason(NS(eth=NS(call=lambda tx, block: b"")), tx, 10) is None


def test_gas_costs_and_the_plan_texts_are_pure():
    from c2d_runner.engine.costs import (NATIVE, SpendLimitExceeded, add_totals, check_spend, gas_costs, gas_text,
                                         spend_text)
    from c2d_runner.ocean.funds import GasEstimate

    gas = gas_costs([GasEstimate(46_000, True), GasEstimate(300_000, False), GasEstimate(0, True)], 2 * 10**9)
    assert gas == {"gas": 346_000, "estimated": False, "price": "2000000000", "cost": str(346_000 * 2 * 10**9)}
    assert gas_text(gas) == ("about 0.000692 native coin (346000 gas at 2 gwei; typical gas where a "
                             "transaction cannot be estimated before its approve)")
    assert gas_text(gas_costs([GasEstimate(21_000, True)], 10**9)) == "about 0.000021 native coin (21000 gas at 1 gwei)"
    job = {"totals": {"0xO": str(5 * 10**18)}, "gas": gas}
    totals = add_totals([job, job])
    assert totals == {"0xO": str(10 * 10**18), NATIVE: str(2 * 346_000 * 2 * 10**9)}
    assert spend_text(totals) == "10 of token 0xO, about 0.001384 native coin for gas"
    assert spend_text(totals, {"0xO": "OCEAN"}) == "10 OCEAN (0xO), about 0.001384 native coin for gas"
    assert spend_text({}) == "nothing"
    from decimal import Decimal

    check_spend({NATIVE: str(10**30)}, Decimal("1"), set())  # gas is not a fee token: --max-spend leaves it
    check_spend({"0xD": str(5 * 10**18)}, Decimal("1"), {"0xD"})  # nor the datatokens
    over = {"0xO": str(25 * 10**17), "0xT": str(3 * 10**18)}
    with pytest.raises(SpendLimitExceeded) as raised:
        check_spend(over, Decimal("2"), set(), {"0xO": "OCEAN"})
    assert str(raised.value) == ("the run would spend 2.5 OCEAN (0xO), 3 of token 0xT, above --max-spend 2; "
                                 "nothing was paid")


def test_fee_per_gas_is_what_a_transaction_reserves():
    from c2d_runner.ocean.funds import fee_per_gas

    def w3(base, tip=None, price=7):
        def max_priority_fee():
            if tip is None:
                raise ValueError("the method eth_maxPriorityFeePerGas does not exist")
            return tip
        eth = type("Eth", (), {"get_block": lambda self, which: {"baseFeePerGas": base} if base is not None else {},
                               "gas_price": price, "max_priority_fee": property(lambda self: max_priority_fee())})
        return NS(eth=eth())

    assert fee_per_gas(w3(base=10, tip=2)) == 2 + 2 * 10
    assert fee_per_gas(w3(base=10)) == 7 + 2 * 10  # no priority-fee method: the gas price stands in for the tip
    assert fee_per_gas(w3(base=None)) == 7  # a chain without a base fee: the legacy gas price


def test_a_runs_needs_are_said_one_line_each():
    from c2d_runner.ocean.funds import run_needs_text

    lines = run_needs_text([("datatoken DT-1 (0xD)", 10**18, 0), ("OCEAN (0xO)", 2 * 10**18, 3 * 10**18),
                            ("of the chain's native coin for gas", 6 * 10**14, 10**14)], "0xA")
    assert lines == ["the run needs 1 datatoken DT-1 (0xD), the consumer 0xA has 0; nothing was paid",
                     "the run needs 0.0006 of the chain's native coin for gas, the consumer 0xA has 0.0001; "
                     "nothing was paid"]


def test_wallet_needs_leave_the_escrow_lock_to_the_node_start():
    from c2d_runner.engine.costs import wallet_needs

    provider_job = {"totals": {"0xDT": str(10**18), "0xO": "5"}, "gas": {"cost": "7"}}
    node_job = {"totals": {"0xDT2": str(10**18), "0xO": "100"}, "escrow": {"token": "0xO", "amount": "100"},
                "gas": {"cost": "3"}}
    assert wallet_needs([provider_job, node_job]) == ({"0xDT": 10**18, "0xO": 5, "0xDT2": 10**18}, 10)
    assert wallet_needs([node_job]) == ({"0xDT2": 10**18}, 3)  # only the lock in OCEAN: funds may sit in the Escrow
