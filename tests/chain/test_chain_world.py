"""A mock world on the local chain: assets as real data NFTs with datatokens, the TEST consumer funded,
`target: {mock: ..., chain: true}` and `c2d mock serve --chain`."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request

import pytest

from c2d_runner.chain.accounts import known_account
from mockprovider.chainworld import CONSUMER_DATATOKENS, CONSUMER_OCEAN, on_chain, world_key
from mockprovider.world import load_world
from tests.chain.conftest import CORPUS, require_chain_extra

NFT = "0x" + "ab" * 20
OCEAN = "0x" + "0c" * 20


def _published(world):
    return {a.name: {"nft": NFT, "datatokens": {s.id: "0x" + f"{n:040x}" for n, s in enumerate(a.services)}}
            for a in world.assets}


def test_on_chain_keeps_dids_and_takes_the_chain_addresses():
    world = load_world(None)
    moved = on_chain(world, _published(world), OCEAN)
    corpus = moved.by_did(CORPUS)
    assert corpus.nft_address == NFT
    assert [s.datatoken for s in corpus.services] == ["0x" + f"{n:040x}" for n in range(len(corpus.services))]
    assert [a.did for a in moved.assets] == [a.did for a in world.assets]
    priced = [e for e in moved.environments if e.priceMin]
    assert priced and all(e.feeToken == OCEAN for e in priced)
    assert all(e.feeToken == "0x0000000000000000000000000000000000000000"
               for e in moved.environments if not e.priceMin)


def test_world_key_follows_what_is_published():
    world = load_world(None)
    assert world_key(world) == world_key(load_world(None))
    fewer = world.__class__(**{**world.__dict__, "algorithms": world.algorithms[:-1]})
    assert world_key(fewer) != world_key(world)


def _erc20(chain, address):
    return chain.contract("ERC20Template", address)


def test_mock_on_the_chain_serves_ddos_naming_real_nfts_and_datatokens(booted_chain):
    from mockprovider import MockOcean

    chain = booted_chain
    consumer = known_account("consumer").address
    with MockOcean(chain=chain) as mock:
        with urllib.request.urlopen(f"{mock.url}/api/aquarius/assets/ddo/{CORPUS}", timeout=10) as response:
            ddo = json.loads(response.read())
    nft = chain.contract("ERC721Template", ddo["nftAddress"])
    for service in ddo["services"]:
        datatoken = service["datatokenAddress"]
        assert nft.functions.isDeployed(datatoken).call()
        assert _erc20(chain, datatoken).functions.getERC721Address().call() == ddo["nftAddress"]
        assert _erc20(chain, datatoken).functions.balanceOf(consumer).call() >= CONSUMER_DATATOKENS // 2
    assert ddo["id"] == CORPUS
    assert chain.deployed("Ocean").functions.balanceOf(consumer).call() >= CONSUMER_OCEAN // 2


def test_a_spec_target_on_the_chain_opens_a_mock_with_an_rpc_endpoint(tmp_path):
    require_chain_extra()
    from web3 import Web3

    from c2d_runner.connect import open_target
    from c2d_runner.spec.model import MockTarget

    target = MockTarget(chain=True)
    assert "on a local chain" in target.describe()
    with open_target(target, tmp_path / "mock-state") as endpoint:
        w3 = Web3(Web3.HTTPProvider(endpoint.rpc))
        assert w3.eth.chain_id == 8996 == endpoint.chain_id
        height = w3.eth.block_number
    saved = tmp_path / "mock-state" / "chain-state.bin"
    assert saved.is_file()
    assert json.loads((tmp_path / "mock-state" / "address.json").read_text())["development"]["chainId"] == 8996
    # A resumed run's mock restarts on the saved chain, not on a fresh one.
    from c2d_runner.chain.local import LocalChain

    again = LocalChain.boot(state_file=saved)
    assert again.info.cache_file == saved and again.w3.eth.block_number == height


def test_chain_free_targets_boot_no_chain(tmp_path):
    from c2d_runner.connect import open_target
    from c2d_runner.spec.model import MockTarget

    with open_target(MockTarget(), tmp_path) as endpoint:
        assert endpoint.rpc is None
    assert not (tmp_path / "chain-state.bin").exists()


def test_without_contract_artifacts_a_chain_target_is_a_clear_input_error(tmp_path, monkeypatch):
    require_chain_extra()
    from c2d_runner.chain.artifacts import ChainUnavailable
    from c2d_runner.connect import open_target
    from c2d_runner.spec.model import MockTarget

    monkeypatch.setenv("OCEAN_ARTIFACTS_DIR", str(tmp_path))
    with pytest.raises(ChainUnavailable, match=r"c2d-runner\[chain\]") as info:
        with open_target(MockTarget(chain=True)):
            pass
    assert info.value.exit_code == 2


def test_spec_target_chain_is_parsed_recorded_and_checked(tmp_path):
    from c2d_runner.engine.runner import target_from_record, target_record
    from c2d_runner.spec import load_spec
    from c2d_runner.spec.model import MockTarget

    spec = tmp_path / "s.yaml"
    body = ("version: 1\nname: paid\ntarget: {{mock: null, chain: {value}}}\njobs:\n  j:\n"
            "    dataset: {{did: \"" + CORPUS + "\"}}\n    algorithm: {{did: \"" + CORPUS + "\"}}\n")
    spec.write_text(body.format(value="true"))
    target = load_spec(spec).target
    assert target == MockTarget(chain=True)
    assert target_from_record(target_record(target)) == target
    assert target_from_record({"kind": "mock", "world": None}) == MockTarget()
    spec.write_text(body.format(value="'yes'"))
    with pytest.raises(Exception, match="chain"):
        load_spec(spec)
    # The mock's `chain` is no default another target form could be given (a schema default would be).
    spec.write_text(body.format(value="true").replace("{mock: null, chain: true}",
                                                      "{provider: 'http://127.0.0.1:9', chain_id: 8996}\n"
                                                      "consumer: {key: '${C2D_PRIVATE_KEY}'}"))
    assert load_spec(spec).target.chain_id == 8996


def test_cli_serve_chain_prints_the_rpc_endpoint_and_stops_on_sigterm(tmp_path):
    require_chain_extra()
    proc = subprocess.Popen([sys.executable, "-m", "c2d_runner.cli", "mock", "serve", "--port", "0", "--chain",
                             "--state-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert "ready at" in proc.stdout.readline()
        line = next(line for line in iter(proc.stdout.readline, "") if "local chain" in line)
        rpc = re.search(r"local chain 8996 at (http://127\.0\.0\.1:\d+)", line).group(1)
        assert str(tmp_path / "address.json") in line
        assert json.loads((tmp_path / "chain.json").read_text())["rpc"] == rpc
        request = urllib.request.Request(rpc, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                                                          "params": []}).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["result"] == hex(8996)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (tmp_path / "chain-state.bin").is_file()
