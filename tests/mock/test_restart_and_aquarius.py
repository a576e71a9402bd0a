"""Persistence across restarts, and the Aquarius routes."""
from __future__ import annotations

import hashlib
import json

import requests

from mockprovider import MockOcean
from mockprovider.store import Job, Store, epoch_text
from tests.mock.helpers import CONSUMER, Consumer


def test_restart_on_same_state_dir(tmp_path):
    state = tmp_path / "state"
    with MockOcean(state_dir=state) as m:
        c = Consumer(m.url)
        iris, stats = m.assets["iris"].did, m.assets["stats"].did
        done = c.wait(c.run(iris, stats)["jobId"])
        assert done["status"] == 70
        last_nonce = c.next_nonce()
        assert c.result(done["jobId"], 0, nonce=last_nonce).status_code == 200
    # A job a crashed process left running (the mock died at status 40).
    store = Store(state / "mock.sqlite3")
    crashed = Job("c" * 32, 0, CONSUMER.address, "0x" + "e" * 64, "ocean-compute", 40, 0, 0, epoch_text(), None,
                  stats, (iris,), None, {"inputs": [], "algorithm": {}})
    store.create_job(crashed, [], CONSUMER.address, [], 10, 0)
    early = Job("d" * 32, 0, CONSUMER.address, "0x" + "f" * 64, "ocean-compute", 1, 0, 0, epoch_text(), None,
                stats, (iris,), None, {"inputs": [], "algorithm": {}})
    store.create_job(early, [], CONSUMER.address, [], 10, 0)
    store.close()
    with MockOcean(state_dir=state) as m:
        c = Consumer(m.url)
        again = c.status(done["jobId"]).json()[0]
        assert again["status"] == 70 and again["results"] == done["results"]
        assert c.result(done["jobId"], 0).json()["datasets"]  # results are still on disk
        # the nonce survived: the old one is refused
        assert c.result(done["jobId"], 0, nonce=last_nonce).status_code == 400
        dead = c.status(crashed.job_id).json()[0]
        assert dead["status"] == 32 and dead["dateFinished"] and dead["results"][0]["type"] == "configrationLog"
        assert "restarted while this job was at status 40" in c.result(crashed.job_id, 0).text
        assert c.status(early.job_id).json()[0]["status"] == 31
        assert {j["jobId"] for j in c.status().json()} == {done["jobId"], crashed.job_id, early.job_id}


def test_double_start_and_stop_before_start_raise():
    import pytest

    from mockprovider import MockOceanError

    m = MockOcean()
    with pytest.raises(MockOceanError, match="not running"):
        m.stop()
    m.start()
    try:
        with pytest.raises(MockOceanError, match="already running"):
            m.start()
    finally:
        m.stop()


def test_temp_state_dir_removed_at_stop():
    m = MockOcean().start()
    path = m.state_dir
    assert path.is_dir()
    m.stop()
    assert not path.exists()


# --- Aquarius ---------------------------------------------------------------------------------

def test_aquarius_info_health_and_chains(mock):
    assert requests.get(mock.url + "/api/aquarius", timeout=5).json()["software"] == "Aquarius"
    r = requests.get(mock.url + "/health", timeout=5)
    assert r.status_code == 200 and r.text == "Elasticsearch connected" and r.headers["Content-Type"].startswith("text/plain")
    assert requests.get(mock.url + "/api/aquarius/chains/list", timeout=5).json() == {"8996": True}


def test_ddo_is_full_v4_and_points_at_the_mock(mock, dids):
    ddo = requests.get(f"{mock.url}/api/aquarius/assets/ddo/{dids['iris']}", timeout=5).json()
    assert {"@context", "id", "version", "chainId", "nftAddress", "metadata", "services", "credentials", "nft",
            "datatokens", "event", "stats", "purgatory"} <= set(ddo)
    assert ddo["version"] == "4.1.0" and ddo["chainId"] == 8996 and ddo["nft"]["state"] == 0
    (service,) = ddo["services"]
    assert service["serviceEndpoint"] == mock.url and service["type"] == "compute"
    assert service["files"].startswith("0x") and "iris.csv" not in json.dumps(ddo)
    assert service["compute"]["allowRawAlgorithm"] is True
    assert {t["did"] for t in service["compute"]["publisherTrustedAlgorithms"]} == {dids["stats"], dids["wordcount"], dids["fail"]}
    algo = requests.get(f"{mock.url}/api/aquarius/assets/ddo/{dids['stats']}", timeout=5).json()
    assert algo["metadata"]["type"] == "algorithm" and algo["metadata"]["algorithm"]["container"]["entrypoint"] == "python $ALGO"
    private = requests.get(f"{mock.url}/api/aquarius/assets/ddo/{dids['private']}", timeout=5).json()
    assert private["credentials"]["allow"][0]["type"] == "address"


def test_ddo_and_metadata_not_found(mock, dids):
    missing = "did:op:" + "0" * 64
    r = requests.get(f"{mock.url}/api/aquarius/assets/ddo/{missing}", timeout=5)
    assert r.status_code == 404 and r.json() == {"error": f"Asset DID {missing} not found in Elasticsearch."}
    assert requests.get(f"{mock.url}/api/aquarius/assets/metadata/{missing}", timeout=5).status_code == 404
    meta = requests.get(f"{mock.url}/api/aquarius/assets/metadata/{dids['corpus']}", timeout=5).json()
    assert meta["name"] == "corpus" and meta["type"] == "dataset"


def _query(mock, body):
    return requests.post(mock.url + "/api/aquarius/assets/query", json=body, timeout=5)


def test_query_elasticsearch_shape(mock, dids):
    body = _query(mock, {"query": {"match_all": {}}}).json()
    assert body["hits"]["total"] == {"value": 6, "relation": "eq"} and body["timed_out"] is False
    assert body["hits"]["hits"][0]["_source"]["id"] == body["hits"]["hits"][0]["_id"]
    algos = _query(mock, {"query": {"term": {"metadata.type": "algorithm"}}}).json()["hits"]["hits"]
    assert {h["_source"]["metadata"]["name"] for h in algos} == {"stats", "wordcount", "fail"}
    one = _query(mock, {"query": {"bool": {"must": [{"match": {"metadata.name": "iris"}}, {"term": {"metadata.type": "dataset"}}]}}}).json()
    assert [h["_id"] for h in one["hits"]["hits"]] == [dids["iris"]]
    page = _query(mock, {"query": {"match_all": {}}, "from": 4, "size": 10}).json()
    assert len(page["hits"]["hits"]) == 2 and page["hits"]["total"]["value"] == 6
    r = _query(mock, {"query": {"fuzzy_wuzzy": {}}})
    assert r.status_code == 400 and "error" in r.json()
    r = requests.post(mock.url + "/api/aquarius/assets/query", data=b"[1]", timeout=5)
    assert r.status_code == 400 and "Invalid payload" in r.json()["error"]


def test_names(mock, dids):
    r = requests.post(mock.url + "/api/aquarius/assets/names", json={"didList": [dids["iris"], "did:op:x"]}, timeout=5)
    assert r.json() == {dids["iris"]: "iris", "did:op:x": ""}


def _validate(mock, raw: bytes, ctype="application/octet-stream"):
    return requests.post(mock.url + "/api/aquarius/assets/ddo/validate", data=raw, headers={"Content-Type": ctype}, timeout=5)


def test_validate(mock, dids):
    ddo = requests.get(f"{mock.url}/api/aquarius/assets/ddo/{dids['iris']}", timeout=5).json()
    raw = json.dumps(ddo).encode()
    body = _validate(mock, raw).json()
    assert body["hash"] == "0x" + hashlib.sha256(raw).hexdigest()
    assert isinstance(body["r"], list) and len(body["r"]) == 1 and body["v"] in (27, 28)
    assert _validate(mock, raw, "application/json").status_code == 400
    assert _validate(mock, b"{not json").status_code == 400
    no_version = {k: v for k, v in ddo.items() if k != "version"}
    r = _validate(mock, json.dumps(no_version).encode())
    assert r.status_code == 400 and r.json() == [{"message": "no version provided for DDO."}]
    wrong_id = dict(ddo, id="did:op:" + "1" * 64)
    r = _validate(mock, json.dumps(wrong_id).encode())
    assert r.json() == {"errors": {"id": "did is not valid for chain Id and nft address"}}
    r = _validate(mock, json.dumps(dict(ddo, version="3.0.0")).encode())
    assert r.status_code == 400 and "version" in r.json()["errors"]
