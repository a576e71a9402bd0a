"""Signatures, nonces, orders and consumer isolation: refused requests change nothing."""
from __future__ import annotations

import pytest

from c2d_runner import wire
from tests.mock.helpers import OTHER, sleeper_meta


@pytest.fixture()
def orders(consumer, dids):
    body = consumer.initialize([(dids["iris"], "compute")], (dids["stats"], "compute")).json()
    return body["datasets"][0]["validOrder"], body["algorithm"]["validOrder"]


def _stats(dids, order):
    return {"documentId": dids["stats"], "serviceId": "compute", "transferTxId": order}


def _nonce(consumer) -> str:
    return consumer.http.get(consumer.s + "/nonce", params={"userAddress": consumer.address}).json()["nonce"]


def test_wrong_key_is_refused_and_nothing_changes(consumer, dids, orders):
    before, jobs = _nonce(consumer), len(consumer.status().json())
    body = consumer.start_body((dids["iris"], "compute", orders[0]), _stats(dids, orders[1]), signer=OTHER)
    r = consumer.start(body)
    assert r.status_code == 400 and r.json()["message"] == "Validation error"
    msg = r.json()["errors"]["signature"]
    assert msg.startswith(f"Invalid signature {body['signature']} for ethereum address {consumer.address}")
    assert msg.endswith(f"Got {OTHER.address}")
    assert _nonce(consumer) == before and len(consumer.status().json()) == jobs
    # the orders were not consumed either
    ok = consumer.start(consumer.start_body((dids["iris"], "compute", orders[0]), _stats(dids, orders[1])))
    assert ok.status_code == 200, ok.text


def test_wrong_message_and_missing_signature(consumer, dids, orders):
    before = _nonce(consumer)
    body = consumer.start_body((dids["iris"], "compute", orders[0]), _stats(dids, orders[1]))
    body["signature"] = consumer.sign(consumer.address + dids["corpus"], body["nonce"])
    r = consumer.start(body)
    assert r.status_code == 400 and "Invalid signature" in r.json()["errors"]["signature"]
    del body["signature"]
    r = consumer.start(body)
    assert r.json()["errors"] == {"signature": ["Invalid signature provided. Please check the nonce or documentId."]}
    body["signature"], body["nonce"] = "0x1234", "abc"
    assert consumer.start(body).json()["errors"] == {"nonce": ["The nonce must be a number."]}
    assert _nonce(consumer) == before


def test_replayed_and_lower_nonce_refused(consumer, dids):
    job = consumer.run(dids["iris"], dids["stats"])
    consumer.wait(job["jobId"])
    n = consumer.next_nonce()
    assert consumer.result(job["jobId"], 0, nonce=n).status_code == 200
    assert _nonce(consumer) == str(n)
    for bad in (n, n - 1):
        r = consumer.result(job["jobId"], 0, nonce=bad)
        assert r.status_code == 400
        assert r.json()["errors"]["signature"] == f"Invalid signature expected nonce ({bad}) > current nonce ({n})."
    assert _nonce(consumer) == str(n)
    assert consumer.result(job["jobId"], 0, nonce=n + 5).status_code == 200  # gaps are fine


def test_other_consumer_cannot_read_stop_delete_or_download(consumer, other, dids):
    job = consumer.run(dids["iris"], sleeper_meta(30))
    jid = job["jobId"]
    r = other.status(jid)
    assert r.status_code == 404 and r.json() == {"error": f"Owner {other.address} mismatch for job {jid}"}
    assert jid not in [j["jobId"] for j in other.status().json()]
    for method in ("PUT", "DELETE"):
        r = other.signed_job_call(method, jid, dids["iris"])
        assert r.status_code == 404 and "mismatch" in r.json()["error"]
    assert consumer.status(jid).json()[0]["stopreq"] == 0  # the other's stop did nothing
    r = other.result(jid, 0)
    assert r.status_code == 404 and "mismatch" in r.json()["error"]
    # ... and impersonating the owner needs the owner's key
    params = {"consumerAddress": consumer.address, "jobId": jid, "index": 0, "nonce": 10**6,
              "signature": wire.sign_request(OTHER, consumer.address + jid + "0", 10**6)}
    r = other.http.get(other.s + "/computeResult", params=params)
    assert r.status_code == 400 and "Invalid signature" in r.json()["errors"]["signature"]
    consumer.signed_job_call("PUT", jid, dids["iris"])
    consumer.wait(jid)


@pytest.mark.parametrize("case", ["other_consumer", "other_asset", "other_service", "other_env", "unknown"])
def test_order_rules(case, consumer, other, dids):
    iris, stats = dids["iris"], dids["stats"]
    init = consumer.initialize([(iris, "compute")], (stats, "compute")).json()
    data_order, algo_order = init["datasets"][0]["validOrder"], init["algorithm"]["validOrder"]
    who, did, env = consumer, iris, "ocean-compute"
    if case == "other_consumer":
        who = other
    elif case == "other_asset":
        did = dids["corpus"]
    elif case == "other_service":
        algo_order = data_order  # the dataset's order offered for the algorithm
    elif case == "other_env":
        env = "ocean-compute-priced"
    elif case == "unknown":
        data_order = "0x" + "12" * 32
    r = who.start(who.start_body((did, "compute", data_order), _stats(dids, algo_order), env=env))
    assert r.status_code == 400 and r.json() == {"error": {"order": "order_invalid"}}, r.text


def test_a_used_order_starts_again_once_its_job_has_ended(consumer, dids):
    """The Provider does not count an order's uses; operator-service refuses an agreementId (the
    dataset's order) that a running job has."""
    first = consumer.run(dids["iris"], sleeper_meta(30))
    order = first["agreementId"]
    again = consumer.start_body((dids["iris"], "compute", order), {"meta": sleeper_meta(0)})
    r = consumer.start(again)
    assert r.status_code == 400 and r.json() == {"error": "`agreementId` already in use for other job."}, r.text
    consumer.signed_job_call("PUT", first["jobId"], dids["iris"])
    consumer.wait(first["jobId"])
    r = consumer.start(consumer.start_body((dids["iris"], "compute", order), {"meta": sleeper_meta(0)}))
    assert r.status_code == 200, r.text
    assert consumer.wait(r.json()[0]["jobId"])["status"] == 70


def test_order_issued_to_env_address_binds_to_first_starter(consumer, other, dids, mock):
    env_address = mock.environments[0]["consumerAddress"]
    init = consumer.initialize([(dids["iris"], "compute")], (dids["stats"], "compute"), consumer=env_address).json()
    orders = init["datasets"][0]["validOrder"], init["algorithm"]["validOrder"]
    r = consumer.start(consumer.start_body((dids["iris"], "compute", orders[0]), _stats(dids, orders[1])))
    assert r.status_code == 200, r.text
    r = other.start(other.start_body((dids["iris"], "compute", orders[0]), _stats(dids, orders[1])))
    assert r.json() == {"error": {"order": "order_invalid"}}
    consumer.wait(consumer.status().json()[-1]["jobId"])


def test_credentials_checked_at_start_for_the_signer(consumer, dids, mock):
    env_address = mock.environments[0]["consumerAddress"]
    init = consumer.initialize([(dids["private"], "compute")], (dids["stats"], "compute"), consumer=env_address)
    assert init.status_code == 200  # ocean.py sends the env's address: credentials wait for start
    orders = init.json()["datasets"][0]["validOrder"], init.json()["algorithm"]["validOrder"]
    r = consumer.start(consumer.start_body((dids["private"], "compute", orders[0]), _stats(dids, orders[1])))
    assert r.status_code == 400
    assert r.json() == {"error": f"Error: Access to asset {dids['private']} was denied with code: 3."}


def test_raw_algorithm_refused_where_not_allowed(consumer, dids):
    r = consumer.initialize([(dids["private"], "compute")], {"meta": sleeper_meta()}, consumer="0x07f89e61405cf314c54803fa4E9864b376652986")
    assert r.json() == {"error": {"datasets[0]": "no_raw_algo_allowed"}}


def test_expired_order_is_invalid(consumer, dids, mock):
    init = consumer.initialize([(dids["corpus"], "compute")], (dids["wordcount"], "compute"), env="ocean-compute-priced").json()
    order = init["datasets"][0]["validOrder"]
    with mock._state.store._tx() as db:  # age the order instead of sleeping
        db.execute("UPDATE orders SET valid_until = 1 WHERE order_id = ?", (order,))
    r = consumer.start(consumer.start_body((dids["corpus"], "compute", order),
                                           {"documentId": dids["wordcount"], "serviceId": "compute",
                                            "transferTxId": init["algorithm"]["validOrder"]}, env="ocean-compute-priced"))
    assert r.json() == {"error": {"order": "order_invalid"}}
    again = consumer.initialize([(dids["corpus"], "compute")], (dids["wordcount"], "compute"), env="ocean-compute-priced").json()
    assert again["datasets"][0]["validOrder"] != order  # an expired order is not reused


def test_ocean_node_policy_over_http(tmp_path):
    from mockprovider import MockOcean
    from tests.mock.helpers import Consumer
    from tests.mock.worlds import small_world

    empty = {"allowRawAlgorithm": True, "publisherTrustedAlgorithms": [], "publisherTrustedAlgorithmPublishers": []}
    with MockOcean(world=small_world(tmp_path, trust_policy="ocean-node", compute=empty)) as m:
        c = Consumer(m.url)
        iris, stats = m.assets["iris"].did, m.assets["stats"].did
        r = c.initialize([(iris, "compute")], (stats, "compute"))
        assert r.json() == {"error": {"datasets[0]": "no_publisherTrustedAlgorithms"}}
        r = c.initialize([(iris, "compute")], {"meta": sleeper_meta()})
        assert r.json() == {"error": {"datasets[0]": "no_publisherTrustedAlgorithms"}}
    (tmp_path / "b").mkdir()
    with MockOcean(world=small_world(tmp_path / "b", trust_policy="provider-py", compute=empty)) as m:
        c = Consumer(m.url)
        assert c.initialize([(m.assets["iris"].did, "compute")], (m.assets["stats"].did, "compute")).status_code == 200
