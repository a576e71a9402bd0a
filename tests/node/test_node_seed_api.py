"""ocean.py's seed methods of OceanCompute against an Ocean Node (pytest-httpserver), exact requests."""
from __future__ import annotations

import struct

import pytest

from c2d_runner import wire
from c2d_runner.ocean import OceanCompute
from c2d_runner.ocean.errors import InvalidComputeRequest, NoFreeEnvironment
from c2d_runner.ocean.inputs import AlgorithmMetadata
from c2d_runner.ocean.node.compute import NeedsPayment, UrlDataset

from .conftest import ENV_ID, JOB_ID, node_job, node_root

ADDRESS = wire.address_of(wire.TEST_CONSUMER_KEY)
FREE_ENV = {"id": ENV_ID, "fees": None, "free": {"maxJobDuration": 600, "resources": [{"id": "cpu", "max": 1}]},
            "resources": [{"id": "cpu", "total": 1, "max": 1, "min": 1}], "maxJobDuration": 3600}
PAID_ENV = {"id": "0xc-0xpaid", "free": None, "resources": [{"id": "cpu", "total": 4, "max": 4, "min": 1}],
            "fees": {"8453": [{"feeToken": "0xT", "prices": [{"id": "cpu", "price": 0.5}]}]}, "maxJobDuration": 3600}
META = AlgorithmMetadata({"rawcode": "print(1)", "container": {"image": "localhost:5000/python", "tag": "3.11",
                                                              "entrypoint": "python $ALGO", "checksum": ""}})
RESULTS = [{"filename": "image.log", "filesize": 1, "type": "imageLog", "index": 0},
           {"filename": "algorithm.log", "filesize": 14, "type": "algorithmLog", "index": 1}]


@pytest.fixture
def oc(node_url, sleeps):
    client = OceanCompute({"METADATA_CACHE_URI": node_url, "CHAIN_ID": 8996, "RETRIES": 1}, sleep=sleeps.append)
    yield client
    client.close()


def expect_root(httpserver):
    httpserver.expect_ordered_request("/", method="GET").respond_with_json(node_root())


def test_environments_and_free_environment(httpserver, oc, node_url):
    expect_root(httpserver)
    for _ in range(2):
        httpserver.expect_ordered_request("/api/services/computeEnvironments", method="GET", query_string="") \
            .respond_with_json([PAID_ENV, FREE_ENV])
    envs = oc.get_c2d_environments(node_url, 8996)
    assert [e["id"] for e in envs] == ["0xc-0xpaid", ENV_ID] and envs[0]["priceMin"] == 0.5
    assert oc.get_free_c2d_environment(node_url)["id"] == ENV_ID
    assert oc.requests_by_endpoint["GET /"] == 1  # the root is read once


def test_no_free_environment(httpserver, oc, node_url):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/computeEnvironments").respond_with_json([PAID_ENV])
    with pytest.raises(NoFreeEnvironment, match="has no free compute environment"):
        oc.get_free_c2d_environment(node_url)


def test_free_job_through_the_seed_api(httpserver, oc, node_url, wallet):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/computeEnvironments").respond_with_json([FREE_ENV])
    httpserver.expect_ordered_request("/api/services/nonce", query_string={"userAddress": ADDRESS}) \
        .respond_with_json({"nonce": "0"})
    httpserver.expect_ordered_request("/api/services/freeCompute", method="POST", json={
        "consumerAddress": ADDRESS, "nonce": "1", "signature": wire.node_sign_request(wallet, "1", "freeStartCompute"),
        "environment": ENV_ID, "algorithm": {"meta": META.as_dictionary(), "envs": {"K": "v"}},
        "datasets": [{"fileObject": {"type": "url", "url": "http://127.0.0.1:1/d.csv", "method": "get"}}],
        "resources": [{"id": "cpu", "amount": 1}], "maxJobDuration": 30}).respond_with_json([node_job(10, jobId=JOB_ID)])
    job_id = oc.start_free(node_url, wallet, "free", [UrlDataset("http://127.0.0.1:1/d.csv")], algorithm_meta=META,
                           envs={"K": "v"}, max_job_duration=30)
    assert job_id == JOB_ID
    done = node_job(71, dateFinished="1.5", results=RESULTS, terminationDetails={"exitCode": 0, "OOMKilled": False})
    httpserver.expect_ordered_request("/api/services/compute", query_string={"consumerAddress": ADDRESS, "jobId": JOB_ID}) \
        .respond_with_json([done])
    status = oc.status(node_url, node_url, job_id, wallet)
    assert status["ok"] and status["succeeded"] and status["exitCode"] == 0
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json([done])
    log = struct.pack(">BxxxI", 1, 6) + b"hello\n"
    httpserver.expect_ordered_request("/api/services/computeResult", query_string={
        "consumerAddress": ADDRESS, "jobId": JOB_ID, "index": "1", "nonce": "2",
        "signature": wire.node_sign_request(wallet, "2", "getComputeResult")}).respond_with_data(log)
    assert oc.compute_job_result_logs(node_url, node_url, job_id, wallet, "algorithmLog") == [b"hello\n"]
    httpserver.expect_ordered_request("/api/services/computeResult", query_string={
        "consumerAddress": ADDRESS, "jobId": JOB_ID, "index": "1", "nonce": "3",
        "signature": wire.node_sign_request(wallet, "3", "getComputeResult")}).respond_with_data(log)
    assert oc.result(node_url, node_url, job_id, 1, wallet) == log  # result(index) gives the bytes as served
    httpserver.expect_ordered_request("/api/services/compute", method="PUT", query_string={
        "consumerAddress": ADDRESS, "jobId": JOB_ID, "nonce": "4",
        "signature": wire.node_sign_request(wallet, "4", "stopCompute")}).respond_with_json([])
    assert oc.stop(node_url, node_url, job_id, wallet) == {"jobId": JOB_ID, "ok": True}
    assert oc.requests_by_endpoint["GET /api/services/nonce"] == 1


def test_failed_job_is_not_ok(httpserver, oc, node_url, wallet):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json(
        [node_job(71, dateFinished="2.0", terminationDetails={"exitCode": 3, "OOMKilled": False})])
    status = oc.status(node_url, node_url, JOB_ID, wallet)
    assert not status["ok"] and status["reason"] == "the algorithm exited with code 3"


def test_paid_start_sends_nothing(httpserver, oc, node_url, wallet):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/computeEnvironments").respond_with_json([PAID_ENV])
    with pytest.raises(NeedsPayment, match="is paid: start_free does not pay for orders and the Escrow .*; "
                                           "nothing was sent"):
        oc.start_free(node_url, wallet, "0xc-0xpaid", [], algorithm_meta=META)
    assert [r.path for r, _ in httpserver.log] == ["/", "/api/services/computeEnvironments"]


def test_resources_above_the_free_limit_are_refused_before_sending(httpserver, oc, node_url, wallet):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/computeEnvironments").respond_with_json([FREE_ENV])
    with pytest.raises(InvalidComputeRequest, match=r"Not enough cpu resources. Requested 2, but max is 1 \(free limit\)"):
        oc.start_free(node_url, wallet, "free", [], algorithm_meta=META, resources={"cpu": 2})


def test_wait_reports_each_status(httpserver, node_url, wallet, sleeps):
    oc = OceanCompute({"METADATA_CACHE_URI": node_url}, sleep=sleeps.append, clock=lambda: 0.0)
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json([node_job(40)])
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json(
        [node_job(71, dateFinished="3.0", terminationDetails={"exitCode": 0})])
    seen = []
    final = oc.wait(node_url, node_url, JOB_ID, wallet, timeout=60, on_status=lambda j: seen.append(j.status))
    assert seen == [40, 71] and final.succeeded and final.job_id == JOB_ID and sleeps == [1.0, 1.0]


def test_provider_urls_keep_the_provider_path(httpserver, oc, node_url):
    httpserver.expect_ordered_request("/", method="GET").respond_with_json(
        {"software": "Provider", "providerAddresses": {"8996": "0xabc"}, "serviceEndpoints": {
            "computeEnvironments": ["GET", "/api/services/computeEnvironments"]}})
    httpserver.expect_ordered_request("/api/services/computeEnvironments", query_string={"chainId": "8996"}) \
        .respond_with_json({"8996": [{"id": "e", "priceMin": 0}]})
    assert oc.get_c2d_environments(node_url)[0]["id"] == "e"


def test_config_keys():
    from c2d_runner.ocean import ClientConfig, ConfigError

    cfg = ClientConfig.from_mapping({"REQUESTS_PER_MINUTE": 10, "PROTOCOL": "ocean-node"})
    assert cfg.requests_per_minute == 10 and cfg.protocol == "ocean-node"
    with pytest.raises(ConfigError, match="REQUESTS_PER_MINUTE must be >= 1"):
        ClientConfig(requests_per_minute=0)
    with pytest.raises(ConfigError, match="PROTOCOL must be 'provider' or 'ocean-node', got 'node'"):
        ClientConfig(protocol="node")


def test_insisting_on_a_protocol(httpserver, node_url):
    from c2d_runner.ocean.protocol import UnknownService

    oc = OceanCompute({"PROTOCOL": "provider"})
    expect_root(httpserver)
    with pytest.raises(UnknownService, match="is an Ocean Node, but the spec says protocol: provider"):
        oc.get_c2d_environments(node_url)


def test_one_node_and_one_budget_however_many_threads_ask(httpserver, node_url):
    import threading

    oc = OceanCompute({"METADATA_CACHE_URI": node_url})
    httpserver.expect_oneshot_request("/", method="GET").respond_with_json(node_root())  # read once
    got = []
    threads = [threading.Thread(target=lambda: got.append(oc.nodes.for_url(node_url))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(n) for n in got}) == 1 and oc._http.budget(node_url) is not None
    budgets = {id(oc._http.budget(node_url))}
    oc.nodes.for_url(node_url)
    assert {id(oc._http.budget(node_url))} == budgets
    oc.close()
