"""Every Provider route over real HTTP: success shapes and error shapes."""
from __future__ import annotations


import time
import requests

from c2d_runner import wire
from tests.mock.helpers import sleeper_meta

SIEVE = {"message": "Validation error", "success": False}


def test_root_map_has_the_real_endpoint_names(mock):
    body = requests.get(mock.url + "/", timeout=5).json()
    assert body["software"] == "Provider" and body["version"] == "2.1.5"
    assert body["chainIds"] == [8996]
    assert list(body["providerAddresses"]) == ["8996"]
    expected = {"nonce", "fileinfo", "initialize", "download", "initializeCompute", "computeStart", "computeStatus",
                "computeStop", "computeDelete", "computeResult", "computeEnvironments", "validateContainer",
                "encrypt", "decrypt", "create_auth_token", "delete_auth_token"}
    assert set(body["serviceEndpoints"]) == expected
    assert body["serviceEndpoints"]["computeStop"] == ["PUT", "/api/services/compute"]


def test_every_announced_endpoint_is_routed_to_its_handler_by_the_same_name(mock):
    # The root document and the routing come from one table, so neither can name a route the other lacks.
    from mockprovider import app

    announced = requests.get(mock.url + "/", timeout=5).json()["serviceEndpoints"]
    adapter = app.URL_MAP.bind("127.0.0.1")
    for name, (method, path) in announced.items():
        assert adapter.match(path, method=method)[0] == name
        assert name in app.DATA_HANDLERS


def test_unknown_route_405_and_crash_are_json(mock, monkeypatch):
    r = requests.get(mock.url + "/api/services/nope", timeout=5)
    assert r.status_code == 404 and r.json()["error"].startswith("404 Not Found") and r.json()["context"] == {}
    r = requests.post(mock.url + "/api/services/computeResult", timeout=5)
    assert r.status_code == 405 and r.json()["error"].startswith("405 Method Not Allowed")
    from mockprovider import app

    def boom(state, data):
        raise RuntimeError("kaboom")

    monkeypatch.setitem(app.DATA_HANDLERS, "validateContainer", boom)
    r = requests.post(mock.url + "/api/services/validateContainer", json={"x": 1}, timeout=5)
    assert r.status_code == 503 and r.json() == {"error": "kaboom", "context": {"x": 1}}
    mock._app.errors.clear()  # expected crash: do not fail the module at teardown


def test_nonce(mock, consumer):
    r = requests.get(mock.url + "/api/services/nonce", params={"userAddress": "0x" + "ab" * 20}, timeout=5)
    assert r.json() == {"nonce": "1"}
    r = requests.get(mock.url + "/api/services/nonce", timeout=5)
    assert r.status_code == 400 and r.json() == {"errors": {"userAddress": ["The userAddress field is required."]}, **SIEVE}


def test_compute_environments_keyed_by_chain_and_chain_id_ignored(mock):
    for params in ({}, {"chainId": 1}):
        body = requests.get(mock.url + "/api/services/computeEnvironments", params=params, timeout=5).json()
        assert list(body) == ["8996"]
        envs = {e["id"]: e for e in body["8996"]}
        assert envs["ocean-compute"]["priceMin"] == 0 and envs["ocean-compute"]["maxJobs"] == 10
        assert envs["ocean-compute-priced"]["priceMin"] == 1
        assert isinstance(envs["ocean-compute"]["lastSeen"], str)
    assert [e["id"] for e in mock.environments] == ["ocean-compute", "ocean-compute-priced"]


def test_initialize_compute_issues_and_reuses_orders_without_fees(consumer, dids):
    r = consumer.initialize([(dids["iris"], "compute")], (dids["stats"], "compute"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"datasets", "algorithm"}
    item = body["datasets"][0]
    assert set(item) == {"datatoken", "validOrder"} and len(item["validOrder"]) == 66
    again = consumer.initialize([(dids["iris"], "compute")], (dids["stats"], "compute")).json()
    # Like the real Provider, an order the client did not send is never handed out again ...
    assert again["datasets"][0]["validOrder"] != item["validOrder"]
    # ... and one it sends back while still unused and valid is reused.
    sent = consumer.http.post(consumer.s + "/initializeCompute", timeout=5, json={
        "datasets": [{"documentId": dids["iris"], "serviceId": "compute", "transferTxId": item["validOrder"]}],
        "algorithm": {"documentId": dids["stats"], "serviceId": "compute",
                      "transferTxId": body["algorithm"]["validOrder"]},
        "compute": {"env": "ocean-compute", "validUntil": int(time.time()) + 600},
        "consumerAddress": consumer.address}).json()
    assert sent == body
    raw = consumer.initialize([(dids["iris"], "compute")], {"meta": sleeper_meta()}).json()
    assert set(raw) == {"datasets"}


def test_initialize_compute_errors(consumer, dids):
    iris, stats = (dids["iris"], "compute"), (dids["stats"], "compute")
    r = consumer.http.post(consumer.s + "/initializeCompute", json={}, timeout=5)
    assert r.status_code == 400 and set(r.json()["errors"]) == {"datasets", "compute.env", "compute.validUntil", "consumerAddress"}
    r = consumer.initialize([iris], stats, valid_for=-10)
    assert r.json() == {"error": "The validUntil value is not correct."}
    r = consumer.initialize([iris], stats, env="nope")
    assert r.json() == {"error": "Compute environment does not exist"}
    r = consumer.initialize([iris], (dids["corpus"], "compute"))
    assert r.json() == {"error": "DID is not a valid algorithm"}
    r = consumer.initialize([("did:op:" + "0" * 64, "compute")], stats)
    assert r.json() == {"error": {"datasets[0]": "did_not_found"}}
    r = consumer.initialize([(dids["corpus"], "access")], stats)
    assert r.json() == {"error": {"datasets[0]": "main_service_compute"}}
    r = consumer.initialize([(dids["iris"], "nope")], stats)
    assert r.json() == {"error": {"datasets[0].serviceId": "not_found"}}
    r = consumer.initialize([iris], None)
    assert r.json() == {"error": {"algorithm": "missing_meta_documentId"}}
    bad = sleeper_meta()
    bad["container"] = {"entrypoint": "python $ALGO", "image": "python", "checksum": "abc"}
    assert consumer.initialize([iris], {"meta": bad}).json() == {"error": {"algorithm.container": "checksum_prefix"}}
    r = consumer.initialize([(dids["private"], "compute")], stats)
    assert r.json() == {"error": f"Error: Access to asset {dids['private']} was denied with code: 3."}


def test_full_flow_status_results_in_real_order(consumer, dids):
    job = consumer.run(dids["iris"], dids["stats"], algocustomdata={"precision": 2, "columns": ["sepal_length"]})
    assert job["status"] == 1 and job["statusText"] == "Warming up" and job["results"] == "" and job["dateFinished"] is None
    assert job["owner"] == consumer.address and job["algoDID"] == dids["stats"] and job["inputDID"] == [dids["iris"]]
    assert job["agreementId"].startswith("0x") and len(job["jobId"]) == 32
    done = consumer.wait(job["jobId"])
    assert done["status"] == 70 and done["statusText"] == "Job finished", done
    assert isinstance(done["dateCreated"], str) and float(done["dateFinished"]) >= float(done["dateCreated"])
    assert [(r["filename"], r["type"]) for r in done["results"]] == [
        ("stats.json", "output"), ("algorithm.log", "algorithmLog"), ("configure.log", "configrationLog")]
    r = consumer.result(job["jobId"], 0)
    assert r.status_code == 200 and r.headers["Content-Disposition"] == "attachment;filename=stats.json"
    stats = r.json()["datasets"][wire.did_hex(dids["iris"])]["0"]
    assert stats["rows"] == 150 and stats["columns"]["sepal_length"]["mean"] == 5.84
    assert len(r.content) == done["results"][0]["filesize"]
    assert b"stats: done" in consumer.result(job["jobId"], 1).content
    every = consumer.status().json()
    assert job["jobId"] in [j["jobId"] for j in every]


def test_additional_datasets_and_wordcount(consumer, dids):
    job = consumer.run(dids["corpus"], dids["wordcount"], extra=[dids["iris"]])
    done = consumer.wait(job["jobId"])
    assert done["status"] == 70 and done["inputDID"] == [dids["corpus"], dids["iris"]]
    counts = consumer.result(job["jobId"], 0).json()
    assert counts["total"] > 500 and len(counts["files"]) == 3


def test_failing_algorithm_still_finishes_with_its_log(consumer, dids):
    done = consumer.wait(consumer.run(dids["iris"], dids["fail"])["jobId"])
    assert done["status"] == 70  # the v1 operator reports exit codes only through the logs
    log = consumer.result(done["jobId"], [r["type"] for r in done["results"]].index("algorithmLog")).text
    assert "fail on purpose" in log


def test_raw_algorithm_has_algo_did_raw(consumer, dids):
    meta = {"rawcode": "import os\nopen(os.environ['OUTPUTS'] + '/hello.txt', 'w').write('hi')\n",
            "container": {"entrypoint": "python $ALGO", "image": "python", "tag": "3.11", "checksum": "sha256:" + "1" * 64}}
    done = consumer.wait(consumer.run(dids["iris"], meta)["jobId"])
    assert done["status"] == 70 and done["algoDID"] == "raw"
    assert consumer.result(done["jobId"], 0).text == "hi"


def test_stop_sets_stopreq_and_job_still_finishes(consumer, dids):
    job = consumer.run(dids["iris"], sleeper_meta(30))
    consumer.wait(job["jobId"], until={40, 31, 32, 70})
    r = consumer.signed_job_call("PUT", job["jobId"], dids["iris"])
    assert r.status_code == 200 and r.json()[0]["stopreq"] == 1
    done = consumer.wait(job["jobId"])
    assert done["status"] == 70 and done["stopreq"] == 1
    # The log is published even for a stopped job. Its text is not asserted: on a loaded machine the stop
    # can land before the sleeper's interpreter has printed anything.
    log = consumer.result(job["jobId"], [r["type"] for r in done["results"]].index("algorithmLog"))
    assert log.status_code == 200


def test_delete_answers_empty_string(consumer, dids):
    job = consumer.run(dids["iris"], dids["stats"])
    consumer.wait(job["jobId"])
    r = consumer.signed_job_call("DELETE", job["jobId"], dids["iris"])
    assert r.status_code == 200 and r.json() == ""


def test_result_errors(consumer, dids):
    job = consumer.run(dids["iris"], dids["stats"])
    r = consumer.result(job["jobId"], 0)
    if r.status_code == 404:  # may still run
        assert r.json() == {"error": f"No results for job {job['jobId']}"}
    consumer.wait(job["jobId"])
    assert consumer.result(job["jobId"], 9).json() == {"error": "No such index 9 in this compute job"}
    r = consumer.result(job["jobId"], -1)
    assert r.status_code == 404 and r.json() == {"error": "Negative index -1"}
    r = consumer.http.get(consumer.s + "/computeResult", params={"consumerAddress": consumer.address}, timeout=5)
    assert r.status_code == 400 and r.json()["errors"] == {"jobId": ["The jobId field is required."]}


def test_start_validation(consumer, dids):
    r = consumer.start({"consumerAddress": consumer.address})
    assert r.status_code == 400 and set(r.json()["errors"]) == {"dataset.documentId", "dataset.serviceId", "dataset.transferTxId"}
    orders = consumer.initialize([(dids["iris"], "compute")], (dids["stats"], "compute")).json()
    body = consumer.start_body((dids["iris"], "compute", orders["datasets"][0]["validOrder"]), {"documentId": dids["stats"], "serviceId": "compute"})
    assert consumer.start(body).json() == {"error": {"algorithm.transferTxId": "missing"}}
    body = consumer.start_body((dids["iris"], "compute", orders["datasets"][0]["validOrder"]), {"documentId": dids["corpus"], "serviceId": "compute", "transferTxId": "0x1"})
    assert consumer.start(body).json() == {"error": {"algorithm": "not_algo"}}
    body = consumer.start_body((dids["iris"], "compute", "0x" + "0" * 64), {"meta": sleeper_meta()}, env="ghost")
    assert consumer.start(body).json() == {"error": "Compute environment does not exist"}


def test_max_jobs_per_environment(tmp_path):
    from mockprovider import MockOcean
    from tests.mock.helpers import Consumer
    from tests.mock.worlds import small_world

    with MockOcean(world=small_world(tmp_path, maxJobs=1)) as m:
        c = Consumer(m.url)
        iris = m.assets["iris"].did
        first = c.run(iris, sleeper_meta(30))
        init = c.initialize([(iris, "compute")], {"meta": sleeper_meta()}).json()
        r = c.start(c.start_body((iris, "compute", init["datasets"][0]["validOrder"]), {"meta": sleeper_meta()}))
        assert r.status_code == 400 and "is full" in r.json()["error"]
        c.signed_job_call("PUT", first["jobId"], iris)
        assert c.wait(first["jobId"])["status"] == 70
        r = c.start(c.start_body((iris, "compute", init["datasets"][0]["validOrder"]), {"meta": sleeper_meta(0)}))
        assert r.status_code == 200, r.text  # the refused start did not consume the order


def test_max_job_duration_sets_stopreq_2(tmp_path):
    from mockprovider import MockOcean
    from tests.mock.helpers import Consumer
    from tests.mock.worlds import small_world

    with MockOcean(world=small_world(tmp_path, maxJobDuration=0.5)) as m:
        c = Consumer(m.url)
        done = c.wait(c.run(m.assets["iris"].did, sleeper_meta(30))["jobId"])
        assert done["status"] == 70 and done["stopreq"] == 2


def test_fileinfo_never_content(consumer, dids):
    r = consumer.http.post(consumer.s + "/fileinfo", json={"did": dids["corpus"], "serviceId": "compute", "checksum": 1}, timeout=5)
    assert r.status_code == 200
    info = r.json()
    assert [i["index"] for i in info] == [0, 1] and all(i["valid"] for i in info)
    assert all(set(i) == {"valid", "contentLength", "contentType", "index", "type", "checksum", "checksumType"} for i in info)
    assert b"Four score" not in r.content
    stats = consumer.http.post(consumer.s + "/fileinfo", json={"did": dids["stats"], "serviceId": "compute", "checksum": 1}, timeout=5).json()
    from mockprovider.world import load_world, algorithm_checksums

    world = load_world()
    assert "".join(i["checksum"] for i in stats) == algorithm_checksums(world.algorithms[0])[0]
    r = consumer.http.post(consumer.s + "/fileinfo", json={}, timeout=5)
    assert r.status_code == 400 and set(r.json()["errors"]) == {"did", "serviceId"}


def test_raw_download_and_initialize_refused(consumer, dids):
    for route in ("download", "initialize"):
        for service in ("access", "compute"):
            params = {"documentId": dids["corpus"], "serviceId": service, "fileIndex": 0, "consumerAddress": consumer.address,
                      "transferTxId": "0x" + "0" * 64, "nonce": 5, "signature": "0x00"}
            r = consumer.http.get(f"{consumer.s}/{route}", params=params, timeout=5)
            assert r.status_code == 400 and isinstance(r.json()["error"], str)
            assert b"Four score" not in r.content


def test_validate_container(consumer):
    ok = {"entrypoint": "python $ALGO", "image": "python", "tag": "3.11", "checksum": "sha256:" + "2" * 64}
    assert consumer.http.post(consumer.s + "/validateContainer", json=ok, timeout=5).json() == ok
    r = consumer.http.post(consumer.s + "/validateContainer", json={"image": "x"}, timeout=5)
    assert r.status_code == 400 and r.json() == {"error": "missing_entrypoint_image_checksum"}


def test_status_requires_consumer_address(consumer):
    r = consumer.http.get(consumer.s + "/compute", timeout=5)
    assert r.status_code == 400 and r.json()["errors"] == {"consumerAddress": ["The consumerAddress field is required."]}


def test_priced_env_with_require_fee_answers_provider_fee(tmp_path):
    from mockprovider import MockOcean
    from tests.mock.helpers import Consumer
    from tests.mock.worlds import small_world

    with MockOcean(world=small_world(tmp_path, require_fee=True, priceMin=1, feeToken="0x2473f4F7bf40ed9310838Fc0a4A9D1f4B2B0C2C8")) as m:
        c = Consumer(m.url)
        iris = m.assets["iris"].did
        body = c.initialize([(iris, "compute")], {"meta": sleeper_meta()}, valid_for=120).json()
        fee = body["datasets"][0]["providerFee"]
        assert "validOrder" not in body["datasets"][0]
        assert set(fee) == {"providerFeeAddress", "providerFeeToken", "providerFeeAmount", "providerData", "v", "r", "s", "validUntil"}
        assert fee["v"] in (27, 28) and int(fee["providerFeeAmount"]) > 0
        import json as _json

        data = _json.loads(bytes.fromhex(fee["providerData"][2:]))
        assert set(data) == {"environment", "timestamp", "dt", "id"} and data["environment"] == "ocean-compute"
        # Without a chain nothing can pay: a made-up order is refused.
        r = c.start(c.start_body((iris, "compute", "0x" + "ab" * 32), {"meta": sleeper_meta()}))
        assert r.json() == {"error": {"order": "order_invalid"}}


def test_image_without_runtime_gives_32(consumer, dids):
    meta = dict(sleeper_meta(0), container={"entrypoint": "ruby $ALGO", "image": "ruby", "tag": "3", "checksum": "sha256:" + "3" * 64})
    done = consumer.wait(consumer.run(dids["iris"], meta)["jobId"])
    assert done["status"] == 32 and done["statusText"] == "Algorithm provisioning failed" and done["dateFinished"]
    assert done["results"][-1]["type"] == "configrationLog"
