"""The mock Ocean Node on a local chain: paid initializeCompute as the node answers it (orders for
the environment's consumerAddress, the node's signed provider fee, the Escrow payment block)."""
from __future__ import annotations

import pytest
import requests

from c2d_runner.chain.accounts import known_account
from tests.chain.conftest import CORPUS, WORDCOUNT


@pytest.fixture
def node(chain):
    """(mock node on the chain, the chain, its priced environment)."""
    from mockprovider import MockOcean

    with MockOcean(protocol="ocean-node", chain=chain) as mock:
        envs = requests.get(f"{mock.url}/api/services/computeEnvironments", timeout=10).json()
        yield mock, chain, next(e for e in envs if e["fees"])


def _initialize(mock, chain, env, dataset_tx=None, algorithm_tx=None, duration=90):
    consumer = known_account("consumer").address
    body = {"datasets": [{"documentId": CORPUS, "serviceId": "compute",
                          **({"transferTxId": dataset_tx} if dataset_tx else {})}],
            "algorithm": {"documentId": WORDCOUNT, "serviceId": "compute",
                          **({"transferTxId": algorithm_tx} if algorithm_tx else {})},
            "environment": env["id"], "consumerAddress": consumer, "maxJobDuration": duration,
            "payment": {"chainId": chain.chain_id, "token": chain.addresses["Ocean"],
                        "resources": [{"id": "cpu", "amount": 1}]}}
    response = requests.post(f"{mock.url}/api/services/initializeCompute", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_paid_initialize_names_orders_for_the_node_and_the_escrow(node):
    mock, chain, env = node
    answer = _initialize(mock, chain, env)
    payee = env["consumerAddress"]
    algorithm = answer["algorithm"]
    assert algorithm["validOrder"] is False and algorithm["consumerAddress"] == payee
    assert algorithm["did"] == WORDCOUNT and algorithm["chainId"] == 8996
    fee = algorithm["providerFee"]
    assert fee["providerFeeAddress"] == payee and fee["providerFeeAmount"] == "0"
    payment = answer["payment"]
    assert payment["escrowAddress"] == chain.addresses["Escrow"] and payment["payee"] == payee
    assert payment["minLockSeconds"] == 90 + 3600
    price = env["fees"]["8996"][0]["prices"][0]["price"]
    assert payment["amount"] == str(int(price * 2 * 10**18))  # 1 cpu for ceil(90 / 60) = 2 minutes
    assert payment["token"] == chain.addresses["Ocean"]


def test_an_order_for_the_node_is_then_a_valid_order(node):
    from c2d_runner.ocean.orders import ProviderFee, start_order

    mock, chain, env = node
    answer = _initialize(mock, chain, env)
    payer = known_account("consumer")
    txs = [start_order(chain.w3, payer, item["datatoken"], item["consumerAddress"], 0,
                       ProviderFee.from_wire(item["providerFee"]))
           for item in (answer["datasets"][0], answer["algorithm"])]
    again = _initialize(mock, chain, env, *txs)
    assert again["datasets"][0]["validOrder"] == txs[0] and "providerFee" not in again["datasets"][0]
    assert again["algorithm"]["validOrder"] == txs[1]


def test_an_order_placed_for_someone_else_is_no_valid_order_here(node):
    from c2d_runner.ocean.orders import ProviderFee, start_order

    mock, chain, env = node
    answer = _initialize(mock, chain, env)
    payer = known_account("consumer")
    item = answer["datasets"][0]
    mine = start_order(chain.w3, payer, item["datatoken"], payer.address, 0, ProviderFee.from_wire(item["providerFee"]))
    # consumer = the payer's own address: neither consumer nor payer is the node's consumerAddress
    again = _initialize(mock, chain, env, dataset_tx=mine)
    assert again["datasets"][0]["validOrder"] is False and "providerFee" in again["datasets"][0]


def test_a_chain_free_node_still_cannot_take_payments(tmp_path):
    from mockprovider import MockOcean

    with MockOcean(protocol="ocean-node") as mock:
        envs = requests.get(f"{mock.url}/api/services/computeEnvironments", timeout=10).json()
        env = next(e for e in envs if e["fees"])
        token = env["fees"]["8996"][0]["feeToken"]
        body = {"datasets": [{"documentId": CORPUS, "serviceId": "compute"}],
                "algorithm": {"documentId": WORDCOUNT, "serviceId": "compute"}, "environment": env["id"],
                "consumerAddress": known_account("consumer").address,
                "payment": {"chainId": 8996, "token": token}}
        response = requests.post(f"{mock.url}/api/services/initializeCompute", json=body, timeout=30)
    assert response.status_code == 500 and response.text == "Cannot handle payments on chainId: 8996"
