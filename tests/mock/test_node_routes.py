"""The mock Ocean Node's wire on a real loopback server: every route's status and exact body,
and the refusals of bad input (which change nothing). Facts: reference/ocean-node-api.md."""
from __future__ import annotations

import json

import pytest
import requests

from c2d_runner import wire
from mockprovider import MockOcean
from mockprovider.node.envs import CLUSTER_HASH
from tests.mock.node_helpers import CONSUMER, OTHER, NodeConsumer, raw_algorithm

HTML = "text/html; charset=utf-8"
MISMATCH = '"consumer address and nonce signature mismatch"'


@pytest.fixture(scope="module")
def node():
    """A default-world mock Ocean Node; finished jobs stay at 71 (a settle delay longer than the module)."""
    with MockOcean(protocol="ocean-node", settle_seconds=3600) as server:
        yield server


@pytest.fixture()
def alice(node) -> NodeConsumer:
    return NodeConsumer(node.url, CONSUMER)


@pytest.fixture()
def bob(node) -> NodeConsumer:
    return NodeConsumer(node.url, OTHER)


@pytest.fixture(scope="module")
def finished(node):
    """One finished job of the test consumer (prefixed id, final status document)."""
    alice = NodeConsumer(node.url, CONSUMER)
    code = "import sys\nprint('to stdout', flush=True)\nprint('to stderr', file=sys.stderr)\n" \
           "open('/data/outputs/result.json', 'w').write('{\"ok\": true}')\n"
    job_id = alice.started(algorithm=raw_algorithm(code))
    return job_id, alice.wait(job_id)


def _nonce(node, address: str) -> str:
    return requests.get(f"{node.url}/api/services/nonce", params={"userAddress": address}).json()["nonce"]


# --- root, nonce, environments --------------------------------------------------------------------

def test_root_document_is_the_nodes(node):
    r = requests.get(node.url + "/")
    doc = r.json()
    assert r.status_code == 200 and doc["software"] == "Ocean-Node" and doc["version"] == "0.0.1"
    assert doc["providerAddress"] == wire.address_of(wire.TEST_PROVIDER_KEY) and "providerAddresses" not in doc
    assert doc["chainIds"] == ["8996"] and doc["nodeId"].startswith("16Uiu2HAm")
    assert sorted(doc["nodePublicKey"], key=int) == [str(i) for i in range(33)]
    ep = doc["serviceEndpoints"]
    assert ep["freeCompute"] == ["POST", "/api/services/freeCompute"]
    assert ep["computeStart"] == ["POST", "/api/services/compute"]
    assert ep["computeStop"] == ["PUT", "/api/services/compute"]
    assert ep["computeStatus"] == ["GET", "/api/services/compute"]
    assert ep["computeStreamableLogs"] == ["GET", "/api/services/computeStreamableLogs"]
    assert ep["getDDO"] == ["GET", "/api/aquarius/assets/ddo/:did/:force?"]
    assert ep["computeDelete"] == ["DELETE", "/api/services/compute"]


def test_nonce_is_a_string_per_exact_address(node, alice):
    lower = CONSUMER.address.lower()
    assert _nonce(node, lower) == "0"
    low = NodeConsumer(node.url, CONSUMER, address=lower)
    assert low.free_start().status_code == 200  # signed over the lowercase address: its own counter
    assert _nonce(node, lower) == "1"
    assert requests.get(f"{node.url}/api/services/nonce").json() == {"nonce": "0"}  # "undefined"


def test_environments_have_fees_resources_in_gb_a_free_block_and_counters(node, alice):
    envs = alice.environments()
    free, priced = envs
    assert free["id"] == f"{CLUSTER_HASH}-ocean-compute" and free["fees"] is None
    assert [{k: r[k] for k in ("id", "max")} for r in free["free"]["resources"]] == [
        {"id": "cpu", "max": 1}, {"id": "ram", "max": 1}, {"id": "disk", "max": 1}]
    assert all(isinstance(r["inUse"], int) for r in free["free"]["resources"] + free["resources"])
    assert free["free"]["maxJobs"] == 10 and list(free)[-2:] == ["free", "runningfreeJobs"]
    assert [r["id"] for r in free["resources"]] == ["cpu", "ram", "disk"]
    assert free["storageExpiry"] == 0 and free["platform"] == {"architecture": "x86_64", "os": "linux"}
    for key in ("runningJobs", "runningfreeJobs", "queuedJobs", "queuedFreeJobs", "consumerAddress"):
        assert key in free
    assert "free" not in priced and list(priced["fees"]) == ["8996"]
    assert priced["resources"][1] == {"id": "ram", "type": "ram", "total": 4, "max": 4, "min": 1, "inUse": 0}
    assert priced["maxJobs"] == 10 and "maxJobs" not in free
    only_fees = requests.get(f"{node.url}/api/services/computeEnvironments", params={"chainId": "8996"}).json()
    assert [e["id"] for e in only_fees] == [priced["id"]]


# --- free start -----------------------------------------------------------------------------------

def test_free_start_answers_the_job_at_status_10(alice):
    body = alice.start_body(metadata={"purpose": "test"})
    r = alice.http.post(f"{alice.s}/freeCompute", json=body)
    assert r.status_code == 200
    [job] = r.json()
    assert job["jobId"].startswith(CLUSTER_HASH + "-") and job["status"] == 10
    assert job["statusText"] == "Pulling algorithm image" and job["dateFinished"] is None
    assert job["owner"] == CONSUMER.address and job["isFree"] is True and job["results"] == []
    assert job["resources"] == [{"id": "cpu", "amount": 1}, {"id": "ram", "amount": 1}, {"id": "disk", "amount": 0}]
    assert job["maxJobDuration"] == 60 and job["metadata"] == {"purpose": "test"} and job["additionalViewers"] is None
    assert job["terminationDetails"] == {"exitCode": None, "OOMKilled": None} and job["payment"] is None
    assert float(job["dateCreated"]) > 0 and job["jobIdHash"].startswith("0x")


@pytest.mark.parametrize("change, status, body", [
    ({"algorithm": None}, 400, 'Missing one ( "algorithm" ) or more required field(s) for command: '
                               '"freeStartCompute". Required fields: algorithm,datasets,environment'),
    ({"datasets": None}, 400, 'Missing one ( "datasets" ) or more required field(s) for command: '
                              '"freeStartCompute". Required fields: algorithm,datasets,environment'),
    ({"consumerAddress": "0x1234"}, 400, 'Parameter : "consumerAddress" is not a valid web3 address'),
    ({"signature": "0x1234"}, 401, "consumer address and nonce signature mismatch"),
    ({"nonce": "0"}, 401, "nonce: 0 is not a valid nonce"),
    ({"nonce": "abc"}, 401, "consumer address and nonce signature mismatch"),
    ({"nonce": "9" * 100_000}, 401, "consumer address and nonce signature mismatch"),
    ({"signature": None}, 401, "Invalid authentication, you need to provide either a token or an address, "
                               "signature, message and nonce"),
    ({"environment": "ocean-compute"}, 500, "Invalid C2D Environment"),
    ({"environment": CLUSTER_HASH + "-nope"}, 500, "Invalid C2D Environment"),
    ({"environment": 7}, 500, "task.environment.indexOf is not a function"),
    ({"datasets": {"a": 1}}, 500, "task.datasets is not iterable"),
    ({"algorithm": {"meta": {"rawcode": "print(1)"}}}, 500,
     'Unable to extract docker image null from algoritm: {"meta":{"rawcode":"print(1)"}}'),
    ({"algorithm": raw_algorithm(meta=None) | {"meta": {"rawcode": "x", "container": {"image": "python",
                                                                                    "dockerfile": "FROM x"}}}},
     500, "Building image is not allowed for free jobs"),
    ({"algorithm": {"meta": {"rawcode": "x", "container": {"image": "rust", "tag": "1.80", "entrypoint": "x"}}}},
     500, "Cannot find image rust:1.80 for x86_64. Maybe it does not exist or it's build for other arhitectures."),
    ({"resources": [{"id": "cpu", "amount": 5}]}, 400, "Error: Not enough cpu resources. Requested 5, but max is 1"),
    ({"resources": {"cpu": 1}}, 400, "TypeError: resources is not iterable"),
    ({"resources": [{"id": "ram", "amount": 10**400}]}, 400,
     "Error: Not enough ram resources. Requested Infinity, but max is 1"),
    ({"metadata": {"x": "y" * 1100}}, 500, "Metadata size is too large"),
    ({"datasets": [{"documentId": "did:op:" + "0" * 64, "serviceId": "compute"}]}, 500,
     f"DDO did:op:{'0' * 64} not found"),
])
def test_free_start_refusals_are_json_strings_and_create_nothing(node, alice, change, status, body):
    sent = alice.start_body()
    sent.update(change)
    if change.get("nonce") and "signature" not in change:  # signed over the hostile nonce as sent
        sent["signature"] = wire.node_sign_request(CONSUMER, change["nonce"], "freeStartCompute")
    nonce, jobs = _nonce(node, CONSUMER.address), len(alice.status().json())
    r = alice.http.post(f"{alice.s}/freeCompute", json=sent)
    assert (r.status_code, r.headers["Content-Type"]) == (status, "application/json; charset=utf-8")
    assert r.json() == body
    assert len(alice.status().json()) == jobs
    # As on the node, a request whose signature checked out has used its nonce, even when refused later.
    signed_ok = status not in (400, 401) or body.startswith(("Error:", "TypeError"))
    assert _nonce(node, CONSUMER.address) == (sent["nonce"] if signed_ok else nonce)


def test_a_hostile_nonce_is_read_as_parseInt_reads_it(node, alice):
    assert alice.free_start().status_code == 200  # the stored nonce is now at least 1
    body = alice.start_body()
    body.update(nonce="1e1000000", signature=wire.node_sign_request(CONSUMER, "1", "freeStartCompute"))
    stored = _nonce(node, CONSUMER.address)
    r = alice.http.post(f"{alice.s}/freeCompute", json=body)
    assert (r.status_code, r.json()) == (401, "nonce: 1 is not a valid nonce")
    assert _nonce(node, CONSUMER.address) == stored


def test_replayed_nonce_is_refused(alice):
    body = alice.start_body()
    assert alice.http.post(f"{alice.s}/freeCompute", json=body).status_code == 200
    r = alice.http.post(f"{alice.s}/freeCompute", json=body)
    assert (r.status_code, r.json()) == (401, f"nonce: {body['nonce']} is not a valid nonce")


def test_signature_over_the_hash_text_is_accepted_too(node, alice):
    from eth_account.messages import encode_defunct

    nonce = alice.next_nonce()
    digest = wire.node_message_hash(CONSUMER.address, nonce, "freeStartCompute")
    sig = CONSUMER.sign_message(encode_defunct(text="0x" + digest.hex())).signature.hex()
    body = alice.start_body()
    body.update(nonce=nonce, signature=sig if sig.startswith("0x") else "0x" + sig)
    assert alice.http.post(f"{alice.s}/freeCompute", json=body).status_code == 200


def test_free_start_on_a_priced_env_and_credentials(node, alice):
    priced = alice.environments()[1]["id"]
    r = alice.free_start(env=priced)
    assert (r.status_code, r.json()) == (400, "TypeError: Cannot read properties of undefined (reading 'access')")
    private = node.assets["private"].did
    r = alice.free_start(datasets=[{"documentId": private, "serviceId": "compute"}])
    assert (r.status_code, r.json()) == (403, f"Error: Access to asset {private} was denied")
    iris = node.assets["iris"].did
    r = alice.free_start(datasets=[{"documentId": iris, "serviceId": "nope"}])
    assert (r.status_code, r.json()) == (500, f"Cannot find service nope in DDO {iris}")


def test_free_compute_skips_the_algorithm_trust_rules(node, alice):
    # `private` trusts only `stats`, and no raw code; free compute does not ask (as the node).
    corpus = node.assets["corpus"].did
    code = "import os\nprint(sorted(os.listdir('/data/inputs')))\n"
    job_id = alice.started(algorithm=raw_algorithm(code), datasets=[{"documentId": corpus, "serviceId": "compute"}])
    assert alice.wait(job_id)["terminationDetails"]["exitCode"] == 0


def test_bodies_express_would_not_parse(alice):
    r = alice.http.post(f"{alice.s}/freeCompute", data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.headers["Content-Type"] == HTML
    big = json.dumps({"algorithm": {"meta": {"rawcode": "x" * 200_000}}})
    r = alice.http.post(f"{alice.s}/freeCompute", data=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "request entity too large" in r.text
    r = alice.http.post(f"{alice.s}/freeCompute", data=b"plain", headers={"Content-Type": "text/plain"})
    assert r.status_code == 400 and r.json().startswith('Missing one ( "algorithm" )')


# --- paid start, initializeCompute -----------------------------------------------------------------

def test_paid_start_answers_as_a_node_without_payments(node, alice):
    priced = alice.environments()[1]["id"]
    body = {**alice.signed("startCompute"), "environment": priced, "algorithm": raw_algorithm(),
            "datasets": [], "maxJobDuration": 60, "payment": {"chainId": 8996, "token": "0x" + "1" * 40}}
    r = alice.http.post(f"{alice.s}/compute", json=body)
    assert (r.status_code, r.json()) == (
        500, f"This compute env does not accept payments on chain: 8996 using token 0x{'1' * 40}")
    iris = node.assets["iris"].did
    body = {**alice.signed("startCompute"), "environment": priced, "maxJobDuration": 60,
            "algorithm": raw_algorithm(), "datasets": [{"documentId": iris, "serviceId": "compute"}]}
    r = alice.http.post(f"{alice.s}/compute", json=body)  # iris allows raw code; then the chain is missing
    assert (r.status_code, r.json()) == (400, "Start Compute: Blockchain instance not available for chain 8996")
    body = {**alice.signed("startCompute"), "environment": priced, "maxJobDuration": 0,
            "algorithm": raw_algorithm(), "datasets": []}
    r = alice.http.post(f"{alice.s}/compute", json=body)
    assert r.json().startswith('Missing one ( "maxJobDuration" )')


def test_initialize_compute_texts(node, alice):
    url = f"{alice.s}/initializeCompute"
    priced = alice.environments()[1]["id"]
    stats, iris = node.assets["stats"].did, node.assets["iris"].did
    base = {"datasets": [{"documentId": iris, "serviceId": "compute"}],
            "algorithm": {"documentId": stats, "serviceId": "compute"}, "environment": priced,
            "payment": {"chainId": 8996, "token": alice.environments()[1]["fees"]["8996"][0]["feeToken"]},
            "consumerAddress": CONSUMER.address, "maxJobDuration": 60}
    r = alice.http.post(url, json={})
    assert (r.status_code, r.text) == (400, "Missing algorithm")
    r = alice.http.post(url, json={k: v for k, v in base.items() if k != "algorithm"})
    assert (r.status_code, r.text, r.headers["Content-Type"]) == (400, "Missing algorithm", HTML)
    r = alice.http.post(url, json={k: v for k, v in base.items() if k != "payment"})
    assert r.text == ('Missing one ( "payment" ) or more required field(s) for command: "initializeCompute". '
                      "Required fields: datasets,algorithm,payment,consumerAddress,environment")
    r = alice.http.post(url, json=dict(base, environment="nope"))
    assert (r.status_code, r.text) == (500, "Invalid C2D Environment")
    r = alice.http.post(url, json=dict(base, environment=alice.free_env()))  # no fees on that chain (as a real node)
    assert (r.status_code, r.text) == (500, "Invalid C2D Environment")
    r = alice.http.post(url, json=dict(base, payment={"chainId": 8996, "token": "0x" + "1" * 40}))
    assert (r.status_code, r.text) == (500, f"This compute env does not accept payments on chain: 8996 using token 0x{'1' * 40}")
    r = alice.http.post(url, json=dict(base, datasets=[{"serviceId": "compute"}]))
    assert (r.status_code, r.text) == (400, "Missing dataset did")
    r = alice.http.post(url, json=base)  # stats is trusted by iris: only the payment is missing
    assert (r.status_code, r.text) == (500, "Cannot handle payments on chainId: 8996")


# --- status, stop, delete -------------------------------------------------------------------------

# Key order of the answers of a real Ocean Node 3.1.0 (refnode's recordings, 1 Dec).
REAL_START_KEYS = [
    "owner", "jobId", "jobIdHash", "dateCreated", "dateFinished", "status", "statusText", "results", "maxJobDuration",
    "environment", "stopRequested", "resources", "isFree", "algoStartTimestamp", "algoStopTimestamp", "payment",
    "metadata", "additionalViewers", "terminationDetails", "algoDuration", "queueMaxWaitTime", "buildStartTimestamp",
    "buildStopTimestamp"]
REAL_STATUS_KEYS = [
    "owner", "did", "jobId", "dateCreated", "dateFinished", "status", "statusText", "results", "inputDID", "algoDID",
    "agreementId", "environment", "stopRequested", "resources", "isFree", "algoStartTimestamp", "algoStopTimestamp",
    "metadata", "additionalViewers", "terminationDetails", "payment", "algoDuration", "queueMaxWaitTime", "jobIdHash",
    "buildStartTimestamp", "buildStopTimestamp", "maxJobDuration"]
REAL_ENV_KEYS = [
    "id", "runningJobs", "consumerAddress", "platform", "access", "fees", "resources", "queuedJobs", "queuedFreeJobs",
    "queMaxWaitTime", "queMaxWaitTimeFree", "runMaxWaitTime", "runMaxWaitTimeFree", "enableNetwork", "storageExpiry",
    "minJobDuration", "maxJobDuration", "description", "free", "runningfreeJobs"]


def test_answers_have_the_real_nodes_keys_in_its_order(alice, finished):
    job_id, job = finished
    assert list(job) == REAL_STATUS_KEYS
    assert list(alice.free_start().json()[0]) == REAL_START_KEYS
    assert list(alice.environments()[0]) == REAL_ENV_KEYS


def test_status_by_prefixed_id_answers_the_raw_id(alice, finished):
    job_id, _ = finished
    [job] = alice.status(job_id).json()
    assert job["jobId"] == job_id.split("-", 1)[1] and job["owner"] == CONSUMER.address
    assert job["did"] is None and job["agreementId"] is None and job["inputDID"] is None


def test_status_filters(node, alice, bob, finished):
    job_id, _ = finished
    mine = alice.status().json()
    assert job_id.split("-", 1)[1] in [j["jobId"] for j in mine]
    # An unprefixed id is dropped, as by the node: the answer lists all of alice's jobs. Compared by id,
    # because other jobs of this module's node may move on between the two calls.
    unprefixed = alice.status(job_id.split("-", 1)[1]).json()
    assert sorted(j["jobId"] for j in unprefixed) == sorted(j["jobId"] for j in mine)
    lower = requests.get(f"{alice.s}/compute", params={"consumerAddress": CONSUMER.address.lower(), "jobId": job_id})
    assert lower.json() == []  # owner is compared case-sensitively
    assert bob.status(job_id).json() == []
    assert alice.status(job_id, agreementId="abc").json() == []


@pytest.mark.parametrize("params", [{}, {"consumerAddress": "0x123"}, {"jobId": "0xdead-beef"}])
def test_status_refusals_are_a_bare_500(alice, params):
    r = alice.http.get(f"{alice.s}/compute", params=params)
    assert (r.status_code, r.text, r.headers["Content-Type"]) == (500, "Internal Server Error", HTML)


def test_stop_by_query_parameters(alice, bob):
    job_id = alice.started(algorithm=raw_algorithm("import time\ntime.sleep(60)\n"))
    alice.wait(job_id, until=lambda j: j["status"] == 40)
    r = bob.stop(job_id)
    assert (r.status_code, r.json()) == (200, [])
    r = alice.stop(job_id)
    [job] = r.json()
    assert r.status_code == 200 and job["stopRequested"] is True and job["results"] is None
    assert job["jobId"] == job_id.split("-", 1)[1] and job["status"] in (40, 60)
    done = alice.wait(job_id)
    assert (done["status"], done["terminationDetails"]["exitCode"]) == (71, 137)


@pytest.mark.parametrize("override", [{"signature": "0x1234"}, {"nonce": "0"}, {"consumerAddress": "nope"},
                                      {"jobId": ""}, {"jobId": "0xabc-def"}])
def test_stop_refusals_are_a_bare_500(alice, finished, override):
    job_id, _ = finished
    r = alice.stop(job_id, **override)
    assert (r.status_code, r.text) == (500, "Internal Server Error")


def test_delete_is_not_implemented(alice):
    r = alice.http.delete(f"{alice.s}/compute")
    assert (r.status_code, r.text, r.headers["Content-Type"]) == (404, "Not yet implemented!", HTML)


def test_unknown_route_is_expresss_404(alice):
    r = alice.http.post(f"{alice.s}/nonce")
    assert r.status_code == 404 and "<pre>Cannot POST /api/services/nonce</pre>" in r.text


# --- results --------------------------------------------------------------------------------------

def test_results_by_dynamic_index(alice, finished):
    job_id, job = finished
    assert [(r["filename"], r["type"], r["index"]) for r in job["results"]] == [
        ("image.log", "imageLog", 0), ("configuration.log", "configurationLog", 1),
        ("algorithm.log", "algorithmLog", 2), ("outputs.tar", "output", 3)]
    log = alice.result(job_id, 2)
    assert (log.status_code, log.headers["Content-Type"]) == (200, "text/plain; charset=utf-8")
    assert log.content == b"\x01\0\0\0\0\0\0\x0ato stdout\n" + b"\x02\0\0\0\0\0\0\x0ato stderr\n"
    tar = alice.result(job_id, 3)
    assert tar.headers["Content-Type"] == "application/octet-stream" and "Content-Disposition" not in tar.headers
    assert len(tar.content) == job["results"][3]["filesize"]
    past = alice.result(job_id, 99)
    assert (past.status_code, past.content, past.headers.get("Content-Type")) == (200, b"", None)


def test_result_urls_are_one_time(alice, finished):
    job_id, _ = finished
    url, params = alice.result_url(job_id, 0)
    assert alice.http.get(url, params=params).status_code == 200
    again = alice.http.get(url, params=params)
    assert (again.status_code, again.text) == (401, f"nonce: {params['nonce']} is not a valid nonce")


@pytest.mark.parametrize("index, status, text", [
    ("-1", 400, "Invalid result index"), ("abc", 400, "Invalid result index"),
    ("", 400, 'Missing one ( "index" ) or more required field(s) for command: "getComputeResult". '
              "Required fields: jobId,index"),
    ("1e1000000", 200, ""),
])
def test_result_index_refusals(node, alice, finished, index, status, text):
    job_id, _ = finished
    before = _nonce(node, CONSUMER.address)
    r = alice.result(job_id, index)
    assert (r.status_code, r.text) == (status, text)
    if status != 200:
        assert _nonce(node, CONSUMER.address) == before


def test_result_access_rules(alice, bob, finished):
    job_id, _ = finished
    raw = job_id.split("-", 1)[1]
    r = bob.result(job_id, 0)
    assert (r.status_code, r.text) == (500, f"{OTHER.address} is not authorized to get results for job with id {raw}")
    r = alice.result(raw, 0)
    assert (r.status_code, r.text) == (500, "Invalid C2D Environment")
    r = alice.result(f"{CLUSTER_HASH}-{'0' * 64}", 0)
    assert (r.status_code, r.text) == (500, f"Cannot find job with id {'0' * 64}")
    url, params = alice.result_url(job_id, 0)
    r = alice.http.get(url, params=dict(params, signature="0x" + "11" * 65))
    assert (r.status_code, r.text) == (401, "consumer address and nonce signature mismatch")


# --- streamable logs ------------------------------------------------------------------------------

def test_streamable_logs_while_running_then_404(alice, bob):
    code = "import time\nprint('first', flush=True)\ntime.sleep(1)\nprint('second')\n"
    job_id = alice.started(algorithm=raw_algorithm(code))
    alice.wait(job_id, until=lambda j: j["status"] == 40 or j["dateFinished"] is not None)
    r = bob.logs(job_id)  # any signer may read a running job's logs (the node checks no owner)
    if r.status_code == 200:  # the job may already have ended on a slow machine
        assert "Content-Type" not in r.headers
        assert r.content.endswith(b"second\n") and r.content.startswith(b"\x01\0\0\0")
    done = alice.wait(job_id)
    assert alice.result(job_id, 2).content == (r.content if r.status_code == 200 else alice.result(job_id, 2).content)
    r = alice.logs(job_id)
    assert (r.status_code, r.text) == (404, "Job not found or not running") and done["status"] == 71
    r = alice.logs(job_id.split("-", 1)[1])
    assert (r.status_code, r.text) == (500, "Invalid C2D Environment")


# --- DDO routes -----------------------------------------------------------------------------------

def test_ddo_routes(node, alice):
    iris = node.assets["iris"].did
    for route in ("ddo", "metadata"):
        for suffix in ("", "/true"):
            r = requests.get(f"{node.url}/api/aquarius/assets/{route}/{iris}{suffix}")
            assert r.status_code == 200 and r.json()["id"] == iris and "indexedMetadata" in r.json()
    r = requests.get(f"{node.url}/api/aquarius/assets/ddo/did:op:{'0' * 64}")
    assert (r.status_code, r.text) == (404, "DDO not found")
    r = requests.get(f"{node.url}/api/aquarius/assets/ddo/nope")
    assert (r.status_code, r.text) == (400, 'Missing or invalid required parameter: "did"')
    r = requests.post(f"{node.url}/api/aquarius/assets/metadata/query",
                      json={"query": {"match_all": {}}})
    assert r.status_code == 200
