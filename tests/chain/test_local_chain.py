"""LocalChain: Ocean's contracts at deterministic addresses, funded TEST accounts, a state cache, clock control."""
from __future__ import annotations

import json

import pytest

from c2d_runner.chain.accounts import TEST_ETH, TEST_KEYS, TEST_OCEAN_SUPPLY, known_account
from tests.chain.conftest import require_chain_extra

# Fixed by the TEST deployer key and the deploy order (the reference prototype found the same factory).
FACTORY = "0x4fb87c52Bb6D194f78cd4896E3e574028fedBAB9"


def test_boot_serves_chain_8996_with_oceans_contracts(chain):
    assert chain.w3.eth.chain_id == 8996 == chain.chain_id
    assert chain.addresses["ERC721Factory"] == FACTORY
    for key in ("Ocean", "Router", "FixedPrice", "Dispenser", "ERC721Factory", "Escrow", "OPFCommunityFeeCollector"):
        assert len(chain.w3.eth.get_code(chain.addresses[key])) > 100, key
    assert chain.deployed("Ocean").functions.totalSupply().call() == TEST_OCEAN_SUPPLY
    assert chain.deployed("Escrow").functions.factoryRouter().call() == chain.addresses["Router"]
    assert chain.deployed("ERC721Factory").functions.getTokenTemplate(2).call()[0] == chain.addresses["ERC20Template"]["2"]


def test_test_accounts_are_funded_and_listed_deployer_first(chain):
    accounts = chain.w3.eth.accounts
    assert accounts[0] == known_account("deployer").address
    for role in TEST_KEYS:
        assert chain.w3.eth.get_balance(known_account(role).address) > TEST_ETH // 2, role


def test_second_boot_comes_from_the_state_cache_with_the_same_state(tmp_path):
    require_chain_extra()
    from c2d_runner.chain.local import LocalChain

    first = LocalChain.boot(cache_dir=tmp_path)
    assert not first.info.from_cache and first.info.cache_file.is_file()
    second = LocalChain.boot(cache_dir=tmp_path)
    assert second.info.from_cache and second.addresses == first.addresses
    owner = known_account("deployer").address
    assert second.deployed("Ocean").functions.balanceOf(owner).call() == TEST_OCEAN_SUPPLY
    assert second.w3.eth.block_number == first.w3.eth.block_number


def test_a_corrupt_cache_file_is_redeployed_over(tmp_path):
    require_chain_extra()
    from c2d_runner.chain.local import LocalChain

    cache_file = LocalChain.boot(cache_dir=tmp_path).info.cache_file
    cache_file.write_bytes(b"not a state")
    again = LocalChain.boot(cache_dir=tmp_path)
    assert not again.info.from_cache and again.addresses["ERC721Factory"] == FACTORY


def test_time_travel_moves_the_chain_clock(chain):
    later = chain.now() + 7200
    chain.time_travel(later)
    assert chain.now() >= later


def test_revert_forgets_later_transactions(chain):
    from c2d_runner.chain.tx import send

    ocean = chain.deployed("Ocean")
    consumer = known_account("consumer").address
    before = ocean.functions.balanceOf(consumer).call()
    snapshot = chain.snapshot()
    send(chain.w3, known_account("deployer"), ocean.functions.transfer(consumer, 5), "transfer")
    assert ocean.functions.balanceOf(consumer).call() == before + 5
    chain.revert(snapshot)
    assert ocean.functions.balanceOf(consumer).call() == before


def test_address_file_has_a_development_entry(chain, tmp_path):
    path = chain.write_address_file(tmp_path / "address.json")
    data = json.loads(path.read_text())
    assert data["development"]["chainId"] == 8996
    assert data["development"]["ERC721Factory"] == FACTORY


def test_a_revert_is_one_error_type_with_its_reason(chain):
    from c2d_runner.chain.tx import TransactionReverted, send

    ocean = chain.deployed("Ocean")
    poor = known_account("other-consumer")
    with pytest.raises(TransactionReverted, match="transfer amount exceeds balance"):
        send(chain.w3, poor, ocean.functions.transfer(known_account("deployer").address, 10**30), "transfer")
    with pytest.raises(TransactionReverted, match="transfer amount exceeds balance") as info:
        send(chain.w3, poor, ocean.functions.transfer(known_account("deployer").address, 10**30), "transfer", gas=10**6)
    assert info.value.exit_code == 1


def test_artifacts_missing_is_a_clear_error(monkeypatch, tmp_path):
    from c2d_runner.chain import artifacts

    monkeypatch.setenv("OCEAN_ARTIFACTS_DIR", str(tmp_path))
    with pytest.raises(artifacts.ChainUnavailable, match="ERC20Template not found.*c2d-runner\\[chain\\]"):
        artifacts.load_artifact("ERC20Template")
    assert artifacts.ChainUnavailable("x").exit_code == 2


def test_artifacts_come_from_the_installed_wheel():
    require_chain_extra()
    from c2d_runner.chain import artifacts

    assert artifacts.contracts_version() == "3.1.0"
    assert any(e.get("name") == "createLock" for e in artifacts.abi("Escrow"))
