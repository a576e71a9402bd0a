"""The loopback JSON-RPC bridge: another process's web3 sees the same chain; reverts answer as a node's."""
from __future__ import annotations

import json
import urllib.request

import pytest

from c2d_runner.chain.accounts import known_account
from c2d_runner.chain.bridge import to_json_rpc


def test_to_json_rpc_encodes_quantities_data_and_bloom():
    out = to_json_rpc({"number": 10, "hash": b"\x01\x02", "logsBloom": 1, "stateRoot": b"x", "ok": True,
                       "logs": [{"logIndex": 0, "topics": [b"\xff"]}], "to": None, "from": "0xAb"})
    assert out["number"] == "0xa" and out["hash"] == "0x0102" and out["ok"] is True and out["to"] is None
    assert out["logsBloom"] == "0x" + "00" * 255 + "01"
    assert "stateRoot" not in out
    assert out["logs"] == [{"logIndex": "0x0", "topics": ["0xff"]}]
    assert out["from"] == "0xAb"


@pytest.fixture
def bridge(chain):
    from c2d_runner.chain.bridge import RpcBridge

    with RpcBridge(chain) as running:
        yield running


def _post(url, body):
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_a_web3_client_over_http_sees_and_changes_the_same_chain(chain, bridge):
    from web3 import Web3

    from c2d_runner.chain.tx import send

    assert bridge.url.startswith("http://127.0.0.1:")
    w3 = Web3(Web3.HTTPProvider(bridge.url))
    assert w3.eth.chain_id == 8996
    assert w3.eth.block_number == chain.w3.eth.block_number
    ocean = w3.eth.contract(address=chain.addresses["Ocean"], abi=chain.deployed("Ocean").abi)
    consumer = known_account("consumer").address
    receipt = send(w3, known_account("deployer"), ocean.functions.transfer(consumer, 3 * 10**18), "transfer")
    assert receipt["status"] == 1
    assert ocean.events.Transfer().process_receipt(receipt)[0]["args"]["value"] == 3 * 10**18
    assert chain.deployed("Ocean").functions.balanceOf(consumer).call() >= 3 * 10**18


def test_a_revert_over_http_is_code_3_with_the_reason(chain, bridge):
    from web3 import Web3

    from c2d_runner.chain.tx import TransactionReverted, send

    w3 = Web3(Web3.HTTPProvider(bridge.url))
    ocean = w3.eth.contract(address=chain.addresses["Ocean"], abi=chain.deployed("Ocean").abi)
    with pytest.raises(TransactionReverted, match="transfer amount exceeds balance"):
        send(w3, known_account("other-consumer"), ocean.functions.transfer(chain.addresses["Ocean"], 10**30),
             "transfer")
    raw = _post(bridge.url, {"jsonrpc": "2.0", "id": 7, "method": "eth_call", "params": [
        {"from": known_account("other-consumer").address, "to": chain.addresses["Ocean"],
         "data": ocean.functions.transfer(chain.addresses["Ocean"], 10**30)._encode_transaction_data()}, "latest"]})
    assert raw["id"] == 7 and raw["error"]["code"] == 3
    assert raw["error"]["data"].startswith("0x08c379a0")


def test_bad_requests_get_json_rpc_errors(bridge):
    assert _post(bridge.url, {"id": 1})["error"]["code"] == -32600
    assert _post(bridge.url, {"jsonrpc": "2.0", "id": 2, "method": "eth_nope", "params": []})["error"]
    batch = _post(bridge.url, [{"jsonrpc": "2.0", "id": 3, "method": "eth_chainId", "params": []}])
    assert batch == [{"jsonrpc": "2.0", "id": 3, "result": "0x2324"}]


def test_the_bridge_serves_loopback_only(chain):
    from c2d_runner.chain.bridge import RpcBridge

    with pytest.raises(ValueError, match="loopback"):
        RpcBridge(chain, host="0.0.0.0")
