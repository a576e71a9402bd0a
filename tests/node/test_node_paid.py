"""Paid compute on an Ocean Node, the client's requests against pytest-httpserver: initializeCompute's
exact body and how its answer is read, and the paid start's exact body, signed `startCompute`."""
from __future__ import annotations

import pytest

from c2d_runner import wire
from c2d_runner.ocean.node.client import NodeClient, NodeError
from c2d_runner.ocean.node.compute import NodeCompute
from c2d_runner.ocean.node.environments import choose_environment, parse_node_environments
from c2d_runner.ocean.node.paid import parse_paid_initialize, with_order
from c2d_runner.ocean.records import EscrowPayment

from .conftest import ENV_ID, JOB_ID, NODE_ADDRESS, node_job, node_root

ADDRESS = wire.address_of(wire.TEST_CONSUMER_KEY)
TOKEN = "0x" + "0c" * 20
ESCROW = "0x" + "e5" * 20
DT, ALGO_DT = "0x" + "d1" * 20, "0x" + "d2" * 20
DATASET = {"documentId": "did:op:" + "aa" * 32, "serviceId": "compute"}
ALGORITHM = {"documentId": "did:op:" + "bb" * 32, "serviceId": "compute", "meta": {"container": {"image": "py"}}}
PAID_ENV = {"id": ENV_ID, "consumerAddress": NODE_ADDRESS, "free": None, "maxJobDuration": 3600, "minJobDuration": 60,
            "resources": [{"id": "cpu", "total": 4, "max": 4, "min": 1}, {"id": "ram", "total": 8, "max": 8, "min": 1}],
            "fees": {"8996": [{"feeToken": TOKEN, "prices": [{"id": "cpu", "price": 0.5}, {"id": "ram", "price": 0}]}]}}
FEE = {"providerFeeAddress": NODE_ADDRESS, "providerFeeToken": "0x" + "00" * 20, "providerFeeAmount": "0",
       "providerData": "0x7b7d", "v": 27, "r": "0x" + "01" * 32, "s": "0x" + "02" * 32, "validUntil": 0}
PAYMENT = {"escrowAddress": ESCROW, "payee": NODE_ADDRESS, "chainId": 8996, "minLockSeconds": 3690,
           "token": TOKEN, "amount": "2000000000000000000"}


def _item(datatoken, valid=False, fee=True):
    return {"did": "did:op:x", "serviceId": "compute", "datatoken": datatoken, "chainId": 8996,
            "consumerAddress": NODE_ADDRESS, "validOrder": valid, **({"providerFee": FEE} if fee else {})}


ANSWER = {"algorithm": _item(ALGO_DT), "datasets": [_item(DT)], "payment": PAYMENT}


@pytest.fixture
def compute(node_url, http, sleeps):
    return NodeCompute(NodeClient(node_url, http, node_root()), sleep=sleeps.append, clock=lambda: 0.0)


@pytest.fixture
def paid_choice():
    return choose_environment(parse_node_environments([PAID_ENV]), "cheapest", {"cpu": 2}, 90)


def test_paid_initialize_sends_the_payment_option_and_reads_orders_and_escrow(httpserver, compute, paid_choice):
    expected = {"datasets": [{**DATASET, "transferTxId": "0xold"}], "algorithm": ALGORITHM, "environment": ENV_ID,
                "payment": {"chainId": 8996, "token": TOKEN, "resources": [{"id": "cpu", "amount": 2},
                                                                           {"id": "ram", "amount": 1}]},
                "consumerAddress": ADDRESS, "maxJobDuration": 90}
    httpserver.expect_ordered_request("/api/services/initializeCompute", method="POST", json=expected) \
        .respond_with_json(ANSWER)
    init = compute.initialize(ADDRESS, paid_choice, ALGORITHM, [with_order(DATASET, "0xold")])
    assert init.payment == EscrowPayment(ESCROW, NODE_ADDRESS, 8996, TOKEN, 2 * 10**18, 3690)
    [item] = init.datasets
    assert item.datatoken == DT and item.consumer_address == NODE_ADDRESS and item.provider_fee == FEE
    assert init.algorithm.datatoken == ALGO_DT and not init.algorithm.valid_order
    assert len(httpserver.log) == 1  # unsigned: no nonce


def test_a_raw_algorithm_has_nothing_to_order():
    init = parse_paid_initialize({**ANSWER, "algorithm": {"validOrder": False}}, 1)
    assert init.algorithm is None and init.datasets[0].datatoken == DT


def test_a_valid_order_without_a_fee_is_reusable():
    init = parse_paid_initialize({**ANSWER, "datasets": [_item(DT, valid="0xold", fee=False)]}, 1)
    assert init.datasets[0].reusable and init.datasets[0].valid_order == "0xold"


@pytest.mark.parametrize("answer, message", [
    ({"algorithm": {}, "payment": PAYMENT}, "has no 'datasets' list"),
    ({**ANSWER, "datasets": []}, "answered 0 dataset items for 1 datasets"),
    ({**ANSWER, "payment": None}, "has no 'payment' block"),
    ({**ANSWER, "payment": {**PAYMENT, "amount": "lots"}}, "payment block has no usable amount"),
    ({**ANSWER, "payment": {**PAYMENT, "escrowAddress": None}}, "payment block has no usable escrowAddress"),
])
def test_an_answer_that_is_no_paid_initialize_is_the_nodes_error(httpserver, compute, paid_choice, answer, message):
    httpserver.expect_ordered_request("/api/services/initializeCompute", method="POST").respond_with_json(answer)
    with pytest.raises(NodeError, match=message):
        compute.initialize(ADDRESS, paid_choice, ALGORITHM, [DATASET])


def test_initialize_refusals_are_plain_text(httpserver, compute, paid_choice):
    # unsigned and paying nothing: retried like the Provider's quote, then the node's words
    httpserver.expect_request("/api/services/initializeCompute", method="POST").respond_with_data(
        "Cannot handle payments on chainId: 8996", status=500, content_type="text/plain")
    with pytest.raises(NodeError, match=r"HTTP 500 .*initializeCompute\): Cannot handle payments on chainId: 8996$"):
        compute.initialize(ADDRESS, paid_choice, ALGORITHM, [DATASET])


def test_paid_start_is_the_free_body_plus_payment_signed_start_compute(httpserver, compute, paid_choice, wallet):
    datasets = [with_order(DATASET, "0xdataset-order")]
    algorithm = with_order(ALGORITHM, "0xalgorithm-order")
    expected = {"environment": ENV_ID, "algorithm": algorithm, "datasets": datasets,
                "resources": [{"id": "cpu", "amount": 2}, {"id": "ram", "amount": 1}], "maxJobDuration": 90,
                "payment": {"chainId": 8996, "token": TOKEN}, "metadata": {"c2d-runner.start": "token-2"},
                "consumerAddress": ADDRESS, "nonce": "8",
                "signature": wire.node_sign_request(wallet, "8", "startCompute")}
    httpserver.expect_ordered_request("/api/services/nonce", query_string={"userAddress": ADDRESS}) \
        .respond_with_json({"nonce": "7"})
    httpserver.expect_ordered_request("/api/services/compute", method="POST", json=expected) \
        .respond_with_json([node_job(10, jobId=JOB_ID, isFree=False)])
    assert compute.start(wallet, paid_choice, algorithm, datasets, start_token="token-2") == JOB_ID
    assert [r.path for r, _ in httpserver.log] == ["/api/services/nonce", "/api/services/compute"]


def test_escrow_refusals_of_the_paid_start_are_the_jobs_and_never_retried(httpserver, compute, paid_choice, wallet):
    httpserver.expect_ordered_request("/api/services/nonce").respond_with_json({"nonce": "0"})
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json(
        f"User {ADDRESS} does not have enough funds", status=400)
    with pytest.raises(NodeError, match="does not have enough funds$") as caught:
        compute.start(wallet, paid_choice, ALGORITHM, [DATASET])
    assert caught.value.status == 400 and len(httpserver.log) == 2
