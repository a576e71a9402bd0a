"""The mock's Provider protocol on a local chain: orders are checked on chain as ocean-provider's
verify_order_tx checks them, and each way of not paying is refused."""
from __future__ import annotations

import json

import pytest

from c2d_runner.chain.accounts import known_account
from tests.chain.conftest import CORPUS, WORDCOUNT, require_chain_extra

REFUSED = {"error": {"order": "order_invalid"}}


@pytest.fixture
def paid(chain):
    """(mock on the chain, the chain, a signing Consumer for the TEST consumer)."""
    from mockprovider import MockOcean
    from tests.mock.helpers import Consumer

    with MockOcean(chain=chain) as mock:
        yield mock, chain, Consumer(mock.url, known_account("consumer"))


def _order(chain, account, answer, service_index=0, consumer=None):
    from c2d_runner.ocean.orders import ProviderFee, start_order

    return start_order(chain.w3, account, answer["datatoken"], consumer or account.address, service_index,
                       ProviderFee.from_wire(answer["providerFee"]))


def _ordered(chain, consumer, env="ocean-compute", account=None, valid_for=600):
    """initializeCompute for corpus + wordcount, then startOrder each; (dataset tx, algorithm tx, answers)."""
    init = consumer.initialize([(CORPUS, "compute")], (WORDCOUNT, "compute"), env=env, valid_for=valid_for)
    assert init.status_code == 200, init.text
    body = init.json()
    payer = account or consumer.account
    return _order(chain, payer, body["datasets"][0]), _order(chain, payer, body["algorithm"]), body


def _start(consumer, dataset_tx, algorithm_tx, env="ocean-compute"):
    body = consumer.start_body((CORPUS, "compute", dataset_tx),
                               {"documentId": WORDCOUNT, "serviceId": "compute", "transferTxId": algorithm_tx}, env=env)
    return consumer.start(body)


def test_a_paid_job_runs_and_its_orders_are_real(paid):
    mock, chain, consumer = paid
    dataset_tx, algorithm_tx, answers = _ordered(chain, consumer)
    fee = answers["datasets"][0]["providerFee"]
    data = json.loads(bytes.fromhex(fee["providerData"][2:]))
    assert data["id"] == "compute" and data["dt"] == answers["datasets"][0]["datatoken"]
    assert fee["providerFeeAddress"] == mock.world.provider_address
    response = _start(consumer, dataset_tx, algorithm_tx)
    assert response.status_code == 200, response.text
    assert consumer.wait(response.json()[0]["jobId"])["status"] == 70
    receipt = chain.w3.eth.get_transaction_receipt(dataset_tx)
    assert receipt["status"] == 1 and receipt["to"] == answers["datasets"][0]["datatoken"]


def test_a_priced_environment_charges_its_fee_in_ocean(paid):
    mock, chain, consumer = paid
    ocean = chain.deployed("Ocean")
    provider = mock.world.provider_address
    before = ocean.functions.balanceOf(provider).call()
    dataset_tx, algorithm_tx, answers = _ordered(chain, consumer, env="ocean-compute-priced")
    fee = answers["datasets"][0]["providerFee"]
    assert fee["providerFeeToken"] == chain.addresses["Ocean"] and int(fee["providerFeeAmount"]) > 0
    assert answers["algorithm"]["providerFee"]["providerFeeAmount"] == "0"  # one item carries the fee
    assert ocean.functions.balanceOf(provider).call() == before + int(fee["providerFeeAmount"])
    assert _start(consumer, dataset_tx, algorithm_tx, env="ocean-compute-priced").status_code == 200


def test_an_order_is_reused_while_it_pays_by_one_running_job_at_a_time(paid):
    """The Provider does not count an order's uses (a second running job with the same agreementId
    is refused: tests/mock/test_auth_and_isolation.py)."""
    mock, chain, consumer = paid
    dataset_tx, algorithm_tx, _ = _ordered(chain, consumer)
    again = consumer.http.post(f"{consumer.s}/initializeCompute", json={
        "datasets": [{"documentId": CORPUS, "serviceId": "compute", "transferTxId": dataset_tx}],
        "algorithm": {"documentId": WORDCOUNT, "serviceId": "compute", "transferTxId": algorithm_tx},
        "compute": {"env": "ocean-compute", "validUntil": int(chain.now()) + 600},
        "consumerAddress": consumer.address}).json()
    assert again["datasets"][0] == {"datatoken": again["datasets"][0]["datatoken"], "validOrder": dataset_tx}
    first = _start(consumer, dataset_tx, algorithm_tx)
    assert first.status_code == 200
    assert consumer.wait(first.json()[0]["jobId"])["status"] == 70
    again = _start(consumer, dataset_tx, algorithm_tx)
    assert again.status_code == 200, again.text
    assert consumer.wait(again.json()[0]["jobId"])["status"] == 70


def test_an_expired_fee_is_refused_then_renewed_with_reuse_order(paid):
    from c2d_runner.ocean.orders import ProviderFee, reuse_order

    mock, chain, consumer = paid
    dataset_tx, algorithm_tx, answers = _ordered(chain, consumer, valid_for=120)
    chain.time_travel(answers["datasets"][0]["providerFee"]["validUntil"] + 10)
    assert _start(consumer, dataset_tx, algorithm_tx).json() == REFUSED
    body = consumer.http.post(f"{consumer.s}/initializeCompute", json={
        "datasets": [{"documentId": CORPUS, "serviceId": "compute", "transferTxId": dataset_tx}],
        "algorithm": {"documentId": WORDCOUNT, "serviceId": "compute", "transferTxId": algorithm_tx},
        "compute": {"env": "ocean-compute", "validUntil": int(chain.now()) + 600},
        "consumerAddress": consumer.address}).json()
    renewed = []
    for answer in (body["datasets"][0], body["algorithm"]):
        assert answer["validOrder"] and answer["providerFee"]  # the order holds, its fee must be renewed
        renewed.append(reuse_order(chain.w3, consumer.account, answer["datatoken"], answer["validOrder"],
                                   ProviderFee.from_wire(answer["providerFee"])))
    assert _start(consumer, *renewed).status_code == 200


def test_an_order_for_another_environment_is_refused(paid):
    mock, chain, consumer = paid
    dataset_tx, algorithm_tx, _ = _ordered(chain, consumer, env="ocean-compute")
    assert _start(consumer, dataset_tx, algorithm_tx, env="ocean-compute-priced").json() == REFUSED


def test_another_consumers_order_is_refused(paid):
    from tests.mock.helpers import Consumer

    mock, chain, consumer = paid
    dataset_tx, algorithm_tx, _ = _ordered(chain, consumer)
    thief = Consumer(mock.url, known_account("other-consumer"))
    assert _start(thief, dataset_tx, algorithm_tx).json() == REFUSED


def test_a_forged_fee_signature_reverts_on_chain(paid):
    from c2d_runner.chain.tx import TransactionReverted

    mock, chain, consumer = paid
    answer = consumer.initialize([(CORPUS, "compute")], (WORDCOUNT, "compute")).json()["datasets"][0]
    answer["providerFee"]["providerFeeAmount"] = "1"  # no longer what the provider signed
    with pytest.raises(TransactionReverted, match="Invalid provider fee"):
        _order(chain, consumer.account, answer)


def test_a_fee_signed_by_someone_else_is_refused_by_the_provider(paid):
    from eth_account import Account
    from eth_account.messages import encode_defunct

    from mockprovider.payment import provider_fee_digest

    mock, chain, consumer = paid
    body = consumer.initialize([(CORPUS, "compute")], (WORDCOUNT, "compute")).json()
    forger = known_account("other-consumer")
    txs = []
    for answer in (body["datasets"][0], body["algorithm"]):
        fee = answer["providerFee"]
        fee["providerFeeAddress"] = forger.address  # self-signed: the contract accepts, the provider must not
        digest = provider_fee_digest(bytes.fromhex(fee["providerData"][2:]), forger.address, fee["providerFeeToken"],
                                     int(fee["providerFeeAmount"]), int(fee["validUntil"]))
        signed = Account.sign_message(encode_defunct(primitive=digest), private_key=forger.key)
        fee.update(v=signed.v, r="0x" + signed.r.to_bytes(32, "big").hex(), s="0x" + signed.s.to_bytes(32, "big").hex())
        txs.append(_order(chain, consumer.account, answer))
    assert _start(consumer, *txs).json() == REFUSED


def test_a_made_up_or_failed_transaction_is_refused(paid):
    mock, chain, consumer = paid
    _, algorithm_tx, _ = _ordered(chain, consumer)
    assert _start(consumer, "0x" + "ab" * 32, algorithm_tx).json() == REFUSED


def test_chain_free_mock_still_issues_its_own_orders(tmp_path):
    require_chain_extra()
    from mockprovider import MockOcean
    from tests.mock.helpers import Consumer

    with MockOcean() as mock:
        answer = Consumer(mock.url).initialize([(CORPUS, "compute")], (WORDCOUNT, "compute")).json()
    assert "validOrder" in answer["datasets"][0] and "providerFee" not in answer["datasets"][0]
