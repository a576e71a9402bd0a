"""Every node route the client uses, with the exact request asserted (method, path, query, body)
and each error body shape the node answers with (ocean-node-api.md §1, §6)."""
from __future__ import annotations

import json

import pytest
from werkzeug import Response

from c2d_runner import wire
from c2d_runner.ocean.budget import RequestBudget
from c2d_runner.ocean.errors import JobNotFound
from c2d_runner.ocean.node.client import NodeClient, NodeError, prefixed_job_id, raw_job_id

from .conftest import ENV_ID, JOB_ID, RAW_ID, node_job, node_root

ADDRESS = wire.address_of(wire.TEST_CONSUMER_KEY)


def sig(nonce, command):
    return wire.node_sign_request(wire.key_wallet(wire.TEST_CONSUMER_KEY), nonce, command)


def expect_nonce(httpserver, value="0"):
    httpserver.expect_ordered_request("/api/services/nonce", method="GET",
                                      query_string={"userAddress": ADDRESS}).respond_with_json({"nonce": value})


@pytest.fixture
def node(node_url, http):
    return NodeClient(node_url, http, node_root())


ALGORITHM = {"meta": {"rawcode": "print('hi')", "container": {"image": "localhost:5000/python", "tag": "3.11",
                                                              "entrypoint": "python $ALGO", "checksum": ""}}}
DATASETS = [{"fileObject": {"type": "url", "url": "http://127.0.0.1:8765/data.csv", "method": "get"}}]


def start_body(nonce):
    return {"consumerAddress": ADDRESS, "nonce": nonce, "signature": sig(nonce, "freeStartCompute"),
            "environment": ENV_ID, "algorithm": ALGORITHM, "datasets": DATASETS,
            "resources": [{"id": "cpu", "amount": 1}], "maxJobDuration": 60}


def our_body():
    return {"environment": ENV_ID, "algorithm": ALGORITHM, "datasets": DATASETS,
            "resources": [{"id": "cpu", "amount": 1}], "maxJobDuration": 60}


def test_free_start_reads_the_nonce_once_then_counts_up(httpserver, node, wallet):
    expect_nonce(httpserver, "22")
    httpserver.expect_ordered_request("/api/services/freeCompute", method="POST", json=start_body("23")) \
        .respond_with_json([node_job(10, jobId=JOB_ID)])
    httpserver.expect_ordered_request("/api/services/freeCompute", method="POST", json=start_body("24")) \
        .respond_with_json([node_job(10, jobId=JOB_ID)])
    assert node.free_start(wallet, our_body())["jobId"] == JOB_ID
    assert node.free_start(wallet, our_body())["status"] == 10
    assert len(httpserver.log) == 3  # one nonce read for the run, then one request per signed call


def test_refused_nonce_is_read_again_and_signed_once_more(httpserver, node, wallet):
    expect_nonce(httpserver, "5")
    httpserver.expect_ordered_request("/api/services/freeCompute", method="POST", json=start_body("6")) \
        .respond_with_json("nonce: 6 is not a valid nonce", status=401)
    expect_nonce(httpserver, "40")  # another process used the key meanwhile
    httpserver.expect_ordered_request("/api/services/freeCompute", method="POST", json=start_body("41")) \
        .respond_with_json([node_job(10, jobId=JOB_ID)])
    assert node.free_start(wallet, our_body())["jobId"] == JOB_ID


@pytest.mark.parametrize("status, body, message", [
    (500, json.dumps("Invalid C2D Environment"), r"Ocean Node error, HTTP 500 \(POST .*/api/services/freeCompute\): "
                                                 r"Invalid C2D Environment$"),
    (400, json.dumps("Error: Not enough cpu resources. Requested 5, but max is 1"),
     r"HTTP 400 .*: Not enough cpu resources. Requested 5, but max is 1$"),
    (401, json.dumps("consumer address and nonce signature mismatch"), r"HTTP 401 .*: consumer address and nonce signature mismatch$"),
    (500, json.dumps("Cannot find image python:3.12-slim for amd64. Maybe it does not exist or it's build for other arhitectures."),
     r"HTTP 500 .*: Cannot find image python:3.12-slim for amd64"),
])
def test_free_start_errors_are_json_strings(httpserver, node, wallet, status, body, message):
    expect_nonce(httpserver)
    httpserver.expect_ordered_request("/api/services/freeCompute", method="POST").respond_with_data(
        body, status=status, content_type="application/json")
    with pytest.raises(NodeError, match=message):
        node.free_start(wallet, our_body())
    assert len(httpserver.log) == 2  # never retried


def test_status_is_unsigned_with_the_prefixed_id(httpserver, node):
    httpserver.expect_ordered_request("/api/services/compute", method="GET",
                                      query_string={"consumerAddress": ADDRESS, "jobId": JOB_ID}) \
        .respond_with_json([node_job(40)])
    job = node.status(ADDRESS, JOB_ID)
    assert job["status"] == 40 and job["jobId"] == RAW_ID


def test_status_of_an_unknown_job(httpserver, node):
    httpserver.expect_ordered_request("/api/services/compute", method="GET").respond_with_json([])
    with pytest.raises(JobNotFound, match=f"the node has no job {JOB_ID}"):
        node.status(ADDRESS, JOB_ID)


def test_status_bare_500_is_explained(httpserver, node, sleeps):
    for _ in range(3):  # idempotent: retried, then explained
        httpserver.expect_ordered_request("/api/services/compute", method="GET").respond_with_data(
            "Internal Server Error", status=500, content_type="text/html; charset=utf-8")
    with pytest.raises(NodeError, match=r"HTTP 500 .*: the node refused the status query \(it answers a bare 500 when "
                                        r"the job id or consumer address does not validate\): Internal Server Error$"):
        node.status(ADDRESS, JOB_ID)
    assert len(sleeps) == 2


def test_jobs_lists_the_consumers_jobs(httpserver, node):
    httpserver.expect_ordered_request("/api/services/compute", method="GET",
                                      query_string={"consumerAddress": ADDRESS}).respond_with_json([node_job(40), "junk"])
    assert [j["status"] for j in node.jobs(ADDRESS)] == [40]


def test_stop_sends_signed_query_params_and_no_body(httpserver, node, wallet):
    expect_nonce(httpserver, "3")
    httpserver.expect_ordered_request(
        "/api/services/compute", method="PUT", data=b"",
        query_string={"consumerAddress": ADDRESS, "nonce": "4", "signature": sig("4", "stopCompute"), "jobId": JOB_ID},
    ).respond_with_json([node_job(40, stopRequested=True, results=None)])
    job = node.stop(wallet, JOB_ID)
    assert job["stopRequested"] is True


def test_stop_of_someone_elses_job_answers_empty(httpserver, node, wallet):
    expect_nonce(httpserver)
    httpserver.expect_ordered_request("/api/services/compute", method="PUT").respond_with_json([])
    assert node.stop(wallet, JOB_ID) is None


def test_stop_bare_500(httpserver, node, wallet):
    expect_nonce(httpserver)
    httpserver.expect_ordered_request("/api/services/compute", method="PUT").respond_with_data(
        "Internal Server Error", status=500)
    with pytest.raises(NodeError, match="the node refused the stop"):
        node.stop(wallet, JOB_ID)


def test_result_is_signed_per_fetch(httpserver, node, wallet):
    expect_nonce(httpserver, "9")
    for nonce, index in (("10", 3), ("11", 2)):
        httpserver.expect_ordered_request(
            "/api/services/computeResult", method="GET",
            query_string={"consumerAddress": ADDRESS, "nonce": nonce, "signature": sig(nonce, "getComputeResult"),
                          "jobId": JOB_ID, "index": str(index)},
        ).respond_with_data(b"tar bytes" if index == 3 else b"log", content_type="application/octet-stream")
    with node.result(wallet, JOB_ID, 3) as response:
        assert response.content == b"tar bytes"
    with node.result(wallet, JOB_ID, 2) as response:
        assert response.content == b"log"


@pytest.mark.parametrize("status, body, message", [
    (500, f"{ADDRESS} is not authorized to get results for job with id {RAW_ID}", "is not authorized to get results"),
    (400, "Invalid result index", "HTTP 400 .*: Invalid result index$"),
    (500, "Invalid C2D Environment", "Invalid C2D Environment"),
])
def test_result_errors_are_plain_text(httpserver, node, wallet, status, body, message):
    expect_nonce(httpserver)
    httpserver.expect_ordered_request("/api/services/computeResult").respond_with_data(
        body, status=status, content_type="text/html; charset=utf-8")
    with pytest.raises(NodeError, match=message):
        node.result(wallet, JOB_ID, 0)


def test_streamable_logs(httpserver, node, wallet):
    expect_nonce(httpserver, "1")
    frame = b"\x01\x00\x00\x00\x00\x00\x00\x03hi\n"
    httpserver.expect_ordered_request(
        "/api/services/computeStreamableLogs", method="GET",
        query_string={"consumerAddress": ADDRESS, "nonce": "2", "signature": sig("2", "getComputeStreamableLogs"),
                      "jobId": JOB_ID},
    ).respond_with_response(Response(frame, status=200, content_type=None))
    httpserver.expect_ordered_request("/api/services/computeStreamableLogs").respond_with_data(
        "Job not found or not running", status=404)
    with node.streamable_logs(wallet, JOB_ID) as response:
        assert response.content == frame
    with pytest.raises(NodeError, match="HTTP 404 .*: Job not found or not running$"):
        node.streamable_logs(wallet, JOB_ID)


def test_environments_never_send_chain_id(httpserver, node):
    httpserver.expect_ordered_request("/api/services/computeEnvironments", method="GET", query_string="") \
        .respond_with_json([])
    assert node.environments() == []


def test_route_names_are_matched_ignoring_case_and_paths_come_from_the_map(httpserver, node_url, http):
    node = NodeClient(node_url, http, node_root({"COMPUTEENVIRONMENTS": ["get", "/custom/envs"]}))
    httpserver.expect_ordered_request("/custom/envs", method="GET").respond_with_json([])
    assert node.environments() == []
    assert node.endpoint("computeStatus") == ("GET", node_url + "/api/services/compute")  # documented fallback


def test_429_text_wait_is_honoured_through_the_budget(httpserver, node_url, http, sleeps, wallet):
    clock = [0.0]

    def sleep(seconds):
        sleeps.append(seconds)
        clock[0] += seconds

    http.set_budget(node_url, RequestBudget(25, clock=lambda: clock[0], sleep=sleep))
    node = NodeClient(node_url, http, node_root())
    expect_nonce(httpserver)
    httpserver.expect_ordered_request("/api/services/freeCompute", method="POST").respond_with_data(
        "Rate limit exceeded. Try again in 43 seconds.", status=429, content_type="text/plain")
    httpserver.expect_ordered_request("/api/services/freeCompute", method="POST", json=start_body("1")) \
        .respond_with_json([node_job(10, jobId=JOB_ID)])
    assert node.free_start(wallet, our_body())["jobId"] == JOB_ID  # a 429 is refused before the handler: resent
    assert sleeps == [43]


def test_429_without_budget_sleeps_the_wait(httpserver, node, sleeps):
    httpserver.expect_ordered_request("/api/services/compute").respond_with_data(
        "Rate limit exceeded. Try again in 12 seconds.", status=429)
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json([node_job(40)])
    assert node.status(ADDRESS, JOB_ID)["status"] == 40 and sleeps == [12]


def test_nonce_answer_shapes(httpserver, node):
    httpserver.expect_ordered_request("/api/services/nonce").respond_with_json({"nonce": "7"})
    httpserver.expect_ordered_request("/api/services/nonce").respond_with_json({"nope": 1})
    assert node.nonce(ADDRESS) == 7
    with pytest.raises(NodeError, match="nonce answer has no 'nonce'"):
        node.nonce(ADDRESS)


def test_raw_job_id():
    assert raw_job_id(JOB_ID) == RAW_ID and raw_job_id("plain") == "plain"


def test_a_listed_raw_id_gets_the_cluster_prefix_of_its_environment():
    assert prefixed_job_id(ENV_ID, RAW_ID) == JOB_ID
    assert prefixed_job_id(ENV_ID, JOB_ID) == JOB_ID  # already prefixed
    assert prefixed_job_id("plain", RAW_ID) == RAW_ID  # no cluster to add


def test_a_start_handlers_own_500_is_a_refusal_a_bare_one_is_not(httpserver, node, wallet):
    from c2d_runner import exitcodes

    expect_nonce(httpserver)
    httpserver.expect_ordered_request("/api/services/freeCompute").respond_with_json(
        "Cannot find image nope:1 for amd64. Maybe it does not exist or it's build for other arhitectures.", status=500)
    httpserver.expect_ordered_request("/api/services/freeCompute").respond_with_data(
        "Internal Server Error", status=500, content_type="text/html")
    with pytest.raises(NodeError, match="Cannot find image nope:1") as refused:
        node.free_start(wallet, our_body())
    assert refused.value.exit_code == exitcodes.FAILED  # nothing was started
    with pytest.raises(NodeError) as broke:
        node.free_start(wallet, our_body())
    assert broke.value.exit_code == exitcodes.INFRASTRUCTURE  # the node broke: a job may exist
