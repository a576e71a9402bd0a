"""The mock Ocean Node's paid start on a local chain, driven with web3 as ocean.js drives a node:
orders for the environment's consumerAddress, Escrow deposit and authorization, a signed start
that locks the price, and the claim when the job settles. Each refused start answers the real
node's text and sends nothing to the chain."""
from __future__ import annotations

import dataclasses
import threading
from decimal import Decimal

import pytest
import requests

from c2d_runner.chain.accounts import known_account
from c2d_runner.chain.tx import send
from tests.chain.conftest import CORPUS, WORDCOUNT
from tests.mock.node_helpers import NodeConsumer, raw_algorithm

DURATION = 90  # seconds asked: the lock holds the price of 2 minutes
OCEAN = 10**18


class PaidFlow:
    """One consumer paying the mock node: initialize, orders, escrow, start."""

    def __init__(self, mock, chain):
        self.mock, self.chain, self.w3 = mock, chain, chain.w3
        self.payer = known_account("consumer")
        self.client = NodeConsumer(mock.url, self.payer)
        self.env = next(e for e in self.client.environments() if e["fees"])
        self.node = self.env["consumerAddress"]
        self.ocean = chain.deployed("Ocean")
        self.escrow = chain.deployed("Escrow")
        self.token = self.ocean.address

    def initialize(self, **extra) -> dict:
        body = {"datasets": [{"documentId": CORPUS, "serviceId": "compute"}],
                "algorithm": {"documentId": WORDCOUNT, "serviceId": "compute"},
                "environment": self.env["id"], "consumerAddress": self.payer.address, "maxJobDuration": DURATION,
                "payment": {"chainId": self.chain.chain_id, "token": self.token}, **extra}
        response = requests.post(f"{self.mock.url}/api/services/initializeCompute", json=body, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def order(self, item: dict, consumer: str | None = None, service_index: int = 0, datatoken: str | None = None) -> str:
        from c2d_runner.ocean.orders import ProviderFee, start_order

        return start_order(self.w3, self.payer, datatoken or item["datatoken"], consumer or item["consumerAddress"],
                           service_index, ProviderFee.from_wire(item["providerFee"]))

    def fund(self, deposit: int, max_locked: int, seconds: int, counts: int, authorize: bool = True) -> None:
        if deposit:
            send(self.w3, self.payer, self.ocean.functions.approve(self.escrow.address, deposit), "approve")
            send(self.w3, self.payer, self.escrow.functions.deposit(self.token, deposit), "deposit")
        if authorize:
            send(self.w3, self.payer, self.escrow.functions.authorize(self.token, self.node, max_locked, seconds, counts),
                 "authorize")

    def ready(self) -> tuple[dict, str, str]:
        """Initialize, order both inputs, fund exactly what the node asks: (payment block, dataset tx, algorithm tx)."""
        answer = self.initialize()
        dataset_tx, algorithm_tx = self.order(answer["datasets"][0]), self.order(answer["algorithm"])
        payment = answer["payment"]
        self.fund(int(payment["amount"]), int(payment["amount"]), payment["minLockSeconds"], 1)
        return payment, dataset_tx, algorithm_tx

    def start(self, dataset_tx: str | None, algorithm_tx: str | None, algorithm: dict | None = None,
              drop: str | None = None, **extra) -> requests.Response:
        def element(did: str, tx: str | None) -> dict:
            return {"documentId": did, "serviceId": "compute", **({"transferTxId": tx} if tx else {})}

        body = {**self.client.signed("startCompute"), "environment": self.env["id"],
                "datasets": [element(CORPUS, dataset_tx)],
                "algorithm": algorithm or element(WORDCOUNT, algorithm_tx),
                "maxJobDuration": DURATION, "payment": {"chainId": self.chain.chain_id, "token": self.token}}
        body.update(extra)
        body.pop(drop, None)
        return requests.post(f"{self.mock.url}/api/services/compute", json=body, timeout=60)

    def locks(self) -> list:
        return self.escrow.functions.getLocks(self.token, self.payer.address, self.node).call()

    def available(self) -> int:
        return self.escrow.functions.getUserFunds(self.payer.address, self.token).call()[0]

    def balance(self, who: str) -> int:
        return self.ocean.functions.balanceOf(who).call()

    def refused(self, response: requests.Response, status: int, text: str, block: int) -> None:
        """The node's error, and nothing sent to the chain: no block mined, no lock."""
        assert (response.status_code, response.json()) == (status, text)
        assert self.w3.eth.block_number == block
        assert self.locks() == []


@pytest.fixture
def flow(chain):
    from mockprovider import MockOcean

    with MockOcean(protocol="ocean-node", chain=chain, settle_seconds=0) as mock:
        yield PaidFlow(mock, chain)


def test_a_paid_job_locks_its_price_runs_and_the_node_claims_what_ran(flow):
    payment, dataset_tx, algorithm_tx = flow.ready()
    locked = int(payment["amount"])
    node_before, funds_before = flow.balance(flow.node), flow.available()
    response = flow.start(dataset_tx, algorithm_tx)
    assert response.status_code == 200, response.text
    [job] = response.json()
    assert job["isFree"] is False and job["status"] == 10
    assert job["payment"]["chainId"] == flow.chain.chain_id and job["payment"]["token"] == flow.token
    assert job["payment"]["lockTx"].startswith("0x") and job["payment"]["claimTx"] is None
    [lock] = flow.locks()  # the lock exists until the job is read settled
    assert (lock[0], lock[1], lock[2], lock[4]) == (int(job["jobIdHash"], 16), flow.payer.address, locked, flow.token)
    assert flow.available() == funds_before - locked

    done = flow.client.wait(job["jobId"], until=lambda j: j["status"] == 70)
    assert done["payment"]["claimTx"].startswith("0x") and done["payment"]["cancelTx"] is None
    claimed = int(Decimal(str(done["payment"]["cost"])) * OCEAN)
    price = flow.env["fees"][str(flow.chain.chain_id)][0]["prices"][0]["price"]
    assert claimed == price * OCEAN  # 1 cpu for the 1-minute minimum: the job ran under a minute
    assert claimed < locked
    assert flow.locks() == []
    assert flow.available() == funds_before - claimed  # the rest of the lock is the consumer's again
    opc_fee = claimed * flow.chain.deployed("Router").functions.getOPCFee(flow.token).call() // OCEAN
    assert flow.balance(flow.node) == node_before + claimed - opc_fee
    assert flow.client.job(job["jobId"])["payment"] == done["payment"]  # claimed once, later reads only show it
    assert flow.mock.errors == []


def test_concurrent_reads_of_a_settled_job_claim_it_once(flow):
    payment, dataset_tx, algorithm_tx = flow.ready()
    funds_before = flow.available()
    job_id = flow.start(dataset_tx, algorithm_tx).json()[0]["jobId"]
    flow.client.wait(job_id, until=lambda j: j["dateFinished"] is not None)
    seen: list = []

    def read():
        seen.append(NodeConsumer(flow.mock.url, flow.payer).job(job_id)["payment"])

    threads = [threading.Thread(target=read) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({p["claimTx"] for p in seen}) == 1
    claimed = int(Decimal(str(seen[0]["cost"])) * OCEAN)
    assert flow.available() == funds_before - claimed
    assert flow.mock.errors == []


def test_a_start_that_fails_after_its_lock_leaves_the_lock_to_expire(flow):
    payment, dataset_tx, _ = flow.ready()
    algorithm = raw_algorithm()
    algorithm["meta"]["container"] = {"image": "no-such-image", "tag": "1", "entrypoint": "run $ALGO"}
    response = flow.start(dataset_tx, None, algorithm=algorithm)
    assert response.status_code == 400
    assert response.json().startswith("Cannot find image no-such-image:1 for x86_64.")
    # the node's cancelExpiredLock cancels only an expired lock: this one stays until it expires
    [lock] = flow.locks()
    assert lock[2] == int(payment["amount"])


def _escrow_only(flow) -> dict:
    """Fund the escrow for a job with no DDO input (nothing to order): the node's payment block."""
    answer = flow.initialize()
    flow.fund(int(answer["payment"]["amount"]), int(answer["payment"]["amount"]), answer["payment"]["minLockSeconds"], 1)
    return answer["payment"]


def test_a_stopped_job_pays_for_what_ran(flow):
    _escrow_only(flow)
    funds_before = flow.available()
    url = {"fileObject": {"type": "url", "url": f"{flow.mock.url}/api/services/computeEnvironments", "method": "get"}}
    response = flow.start(None, None, algorithm=raw_algorithm("import time\nprint('up', flush=True)\ntime.sleep(60)"),
                          datasets=[url])
    assert response.status_code == 200, response.text
    job_id = response.json()[0]["jobId"]
    flow.client.wait(job_id, until=lambda j: j["status"] == 40)
    assert flow.client.stop(job_id).status_code == 200
    done = flow.client.wait(job_id, until=lambda j: j["status"] == 70)
    assert done["stopRequested"] is True and done["payment"]["claimTx"].startswith("0x")
    price = flow.env["fees"][str(flow.chain.chain_id)][0]["prices"][0]["price"]
    assert done["payment"]["cost"] == price  # the one-minute minimum, not the two locked
    assert flow.available() == funds_before - price * OCEAN and flow.locks() == []


def test_a_job_that_failed_provisioning_is_not_claimed_and_its_lock_waits_to_expire(flow):
    payment = _escrow_only(flow)
    unreachable = {"fileObject": {"type": "url", "url": "http://127.0.0.1:9/nothing", "method": "get"}}
    response = flow.start(None, None, algorithm=raw_algorithm(), datasets=[unreachable])
    assert response.status_code == 200, response.text
    failed = flow.client.wait(response.json()[0]["jobId"])
    assert failed["status"] == 31
    assert flow.client.job(response.json()[0]["jobId"])["payment"]["claimTx"] is None  # read again: still no claim
    [lock] = flow.locks()
    assert lock[2] == int(payment["amount"])


# --- refused starts: the node's texts, and nothing on chain ---------------------------------------

def test_a_start_without_a_transfer_tx_is_refused(flow):
    _, _, algorithm_tx = flow.ready()
    block = flow.w3.eth.block_number
    flow.refused(flow.start(None, algorithm_tx), 500, f"Missing transferTxId for DDO {CORPUS}", block)


def _invalid(tx: str) -> str:
    return f"TxId Service {tx} is not valid for DDO {CORPUS} and service compute"


def test_a_forged_transfer_tx_is_refused(flow):
    _, _, algorithm_tx = flow.ready()
    block = flow.w3.eth.block_number
    forged = "0x" + "ab" * 32
    flow.refused(flow.start(forged, algorithm_tx), 500, _invalid(forged), block)
    flow.refused(flow.start("not-a-tx", algorithm_tx), 500, _invalid("not-a-tx"), block)


def test_an_order_for_another_consumer_than_the_node_is_refused(flow):
    answer = flow.initialize()
    _, _, algorithm_tx = flow.ready()
    mine = flow.order(answer["datasets"][0], consumer=flow.payer.address)  # consumer: the payer, not the node
    block = flow.w3.eth.block_number
    flow.refused(flow.start(mine, algorithm_tx), 500, _invalid(mine), block)


def test_an_order_of_another_datatoken_or_service_is_refused(flow):
    answer = flow.initialize()
    _, _, algorithm_tx = flow.ready()
    other_index = flow.order(answer["datasets"][0], service_index=1)  # the dataset's datatoken, service 1
    block = flow.w3.eth.block_number
    flow.refused(flow.start(algorithm_tx, algorithm_tx), 500, _invalid(algorithm_tx), block)  # the algorithm's
    flow.refused(flow.start(other_index, algorithm_tx), 500, _invalid(other_index), block)


def test_an_order_older_than_the_service_timeout_is_refused(chain):
    from mockprovider import MockOcean
    from mockprovider.world import load_world

    world = load_world(None)
    timed = tuple(dataclasses.replace(a, services=tuple(dataclasses.replace(s, timeout=60) for s in a.services))
                  if a.did == CORPUS else a for a in world.datasets)
    with MockOcean(world=dataclasses.replace(world, datasets=timed), protocol="ocean-node", chain=chain) as mock:
        flow = PaidFlow(mock, chain)
        _, dataset_tx, algorithm_tx = flow.ready()
        chain.time_travel(chain.now() + 120)
        block = flow.w3.eth.block_number
        flow.refused(flow.start(dataset_tx, algorithm_tx), 500, _invalid(dataset_tx), block)


def _escrow_refusal(flow, deposit, max_locked, seconds, counts, authorize=True):
    answer = flow.initialize()
    dataset_tx, algorithm_tx = flow.order(answer["datasets"][0]), flow.order(answer["algorithm"])
    payment = answer["payment"]
    amount, lock_seconds = int(payment["amount"]), payment["minLockSeconds"]
    flow.fund(deposit(amount), max_locked(amount), seconds(lock_seconds), counts, authorize)
    block = flow.w3.eth.block_number
    return flow.start(dataset_tx, algorithm_tx), block


@pytest.mark.parametrize("deposit", [lambda a: 0, lambda a: a - 1], ids=["no-funds", "too-few-funds"])
def test_a_start_without_enough_escrow_funds_is_refused(flow, deposit):
    response, block = _escrow_refusal(flow, deposit, lambda a: a, lambda s: s, 1)
    flow.refused(response, 400, f"User {flow.payer.address} does not have enough funds", block)


def test_a_start_without_an_escrow_authorization_is_refused(flow):
    response, block = _escrow_refusal(flow, lambda a: a, lambda a: a, lambda s: s, 1, authorize=False)
    flow.refused(response, 400, f"No escrow auths found for: chain={flow.chain.chain_id}, token={flow.token}, "
                                f"payer={flow.payer.address}, nodeAddress={flow.node}. Found 0 authorizations.", block)


@pytest.mark.parametrize("limits, text", [
    ((lambda a: a - 1, lambda s: s, 1), "No valid escrow auths found(will go over limit)"),
    ((lambda a: a, lambda s: s - 1, 1), "No valid escrow auths found(maxLockSeconds too low)"),
    ((lambda a: a, lambda s: s, 0), "No valid escrow auths found(too many active locks)"),
], ids=["amount", "seconds", "count"])
def test_a_start_beyond_the_authorization_limits_is_refused(flow, limits, text):
    response, block = _escrow_refusal(flow, lambda a: a, *limits)
    flow.refused(response, 400, text, block)


def test_the_lock_time_covers_the_queue_wait_the_client_asks_for(flow):
    answer = flow.initialize(queueMaxWaitTime=600)
    assert answer["payment"]["minLockSeconds"] == DURATION + 600 + 3600
    response, block = _escrow_refusal(flow, lambda a: a, lambda a: a, lambda s: s, 1)  # authorized without the wait
    assert response.status_code == 200  # no wait asked at start: the lock fits
    answer = flow.initialize()
    dataset_tx, algorithm_tx = flow.order(answer["datasets"][0]), flow.order(answer["algorithm"])
    flow.fund(int(answer["payment"]["amount"]), 10 * int(answer["payment"]["amount"]), DURATION + 3600, 5)
    block = flow.w3.eth.block_number
    response = flow.start(dataset_tx, algorithm_tx, queueMaxWaitTime=600)
    assert (response.status_code, response.json()) == (400, "No valid escrow auths found(maxLockSeconds too low)")
    assert flow.w3.eth.block_number == block


def _move_eth(flow, sender, to: str, value: int | None = None) -> None:
    """A plain ETH transfer; value None: all of `sender`'s ETH the transfer's own gas leaves."""
    price = flow.w3.eth.gas_price
    if value is None:
        value = flow.w3.eth.get_balance(sender.address) - 21_000 * price
    tx = {"to": to, "gas": 21_000, "gasPrice": price, "chainId": flow.chain.chain_id, "value": value,
          "nonce": flow.w3.eth.get_transaction_count(sender.address)}
    flow.w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)


def test_a_claim_that_fails_is_tried_again_at_the_next_read(flow):
    _, dataset_tx, algorithm_tx = flow.ready()
    node, deployer = known_account("provider"), known_account("deployer")
    job_id = flow.start(dataset_tx, algorithm_tx).json()[0]["jobId"]
    _move_eth(flow, node, deployer.address)  # locked; then the node has no gas left to claim with
    settling = flow.client.wait(job_id)
    assert settling["status"] == 71 and settling["payment"]["claimTx"] is None and len(flow.locks()) == 1
    assert "escrow claim failed" in flow.mock.errors[0]
    flow.mock._state.runner.errors.clear()  # expected here: do not fail the mock at teardown
    _move_eth(flow, deployer, node.address, 10**18)
    assert flow.client.job(job_id)["status"] == 70
    assert flow.locks() == [] and flow.client.job(job_id)["payment"]["claimTx"].startswith("0x")


def test_a_node_without_gas_cannot_lock(flow):
    _, dataset_tx, algorithm_tx = flow.ready()
    node = known_account("provider")
    _move_eth(flow, node, known_account("deployer").address)
    assert flow.w3.eth.get_balance(node.address) == 0
    block = flow.w3.eth.block_number
    flow.refused(flow.start(dataset_tx, algorithm_tx), 400,
                 "Node insufficient gas funds. If you are the node owner, please add gas funds to the node.", block)


def test_a_start_paying_on_another_chain_or_token_is_refused(flow):
    _, dataset_tx, algorithm_tx = flow.ready()
    block = flow.w3.eth.block_number
    flow.refused(flow.start(dataset_tx, algorithm_tx, payment={"chainId": 1, "token": flow.token}), 500,
                 f"This compute env does not accept payments on chain: 1 using token {flow.token}", block)
    other = flow.token.lower()  # the node compares the token string exactly
    flow.refused(flow.start(dataset_tx, algorithm_tx, payment={"chainId": flow.chain.chain_id, "token": other}), 500,
                 f"This compute env does not accept payments on chain: {flow.chain.chain_id} using token {other}", block)
    flow.refused(flow.start(dataset_tx, algorithm_tx, payment=None), 500,
                 "Cannot read properties of null (reading 'chainId')", block)
    flow.refused(flow.start(dataset_tx, algorithm_tx, drop="payment"), 500,
                 "Cannot read properties of undefined (reading 'chainId')", block)
