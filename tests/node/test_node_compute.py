"""NodeCompute against pytest-httpserver: one free job end to end, failures with their log tail,
coalesced status polling, log following."""
from __future__ import annotations

import io
import struct
import tarfile

import pytest
from werkzeug import Response

from c2d_runner import wire
from c2d_runner.ocean.errors import ComputeTimeout
from c2d_runner.ocean.inputs import AlgorithmMetadata
from c2d_runner.ocean.node.client import NodeClient
from c2d_runner.ocean.node.compute import (NodeCompute, UrlDataset, algorithm_entry, dataset_entry, job_status,
                                           start_metadata)
from c2d_runner.ocean.node.status import judge
from c2d_runner.ocean.node.environments import choose_environment, parse_node_environments

from .conftest import CLUSTER, ENV_ID, JOB_ID, RAW_ID, node_job, node_root

ADDRESS = wire.address_of(wire.TEST_CONSUMER_KEY)
ENV = {"id": ENV_ID, "consumerAddress": "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A", "fees": None,
       "resources": [{"id": "cpu", "total": 1, "max": 1, "min": 1}, {"id": "ram", "total": 1, "max": 1, "min": 1},
                     {"id": "disk", "total": 1, "max": 1, "min": 0}],
       "maxJobDuration": 3600, "minJobDuration": 60,
       "free": {"maxJobDuration": 600, "maxJobs": 2, "resources": [{"id": "cpu", "max": 1}, {"id": "ram", "max": 1},
                                                                  {"id": "disk", "max": 1}]}}
META = AlgorithmMetadata({"rawcode": "print('hi')", "container": {"image": "localhost:5000/python", "tag": "3.11",
                                                                 "entrypoint": "python $ALGO", "checksum": ""}})
RESULTS = [{"filename": "image.log", "filesize": 5, "type": "imageLog", "index": 0},
           {"filename": "configuration.log", "filesize": 5, "type": "configurationLog", "index": 1},
           {"filename": "algorithm.log", "filesize": 20, "type": "algorithmLog", "index": 2},
           {"filename": "outputs.tar", "filesize": 4096, "type": "output", "index": 3}]


def frame(stream, text):
    return struct.pack(">BxxxI", stream, len(text)) + text.encode()


def outputs_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in (("outputs", None), ("outputs/result.json", b"{}"), ("outputs/sub", None),
                           ("outputs/sub/nested.txt", b"nested")):
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def compute(node_url, http, sleeps):
    return NodeCompute(NodeClient(node_url, http, node_root()), sleep=sleeps.append, clock=lambda: 0.0)


def choice(envs=(ENV,), **kw):
    return choose_environment(parse_node_environments(list(envs)), "free", kw.get("resources"), kw.get("duration", 60))


def test_bodies():
    assert dataset_entry(UrlDataset("http://h/data.csv", "GET", {"X-Key": "k"})) == {
        "fileObject": {"type": "url", "url": "http://h/data.csv", "method": "get", "headers": {"X-Key": "k"}}}
    algo = algorithm_entry(META, custom_data={"n": 1}, envs={"A": 1})
    assert algo["meta"]["rawcode"] == "print('hi')" and algo["meta"]["container"]["checksum"] == ""
    assert algo["algocustomdata"] == {"n": 1} and algo["envs"] == {"A": "1"}
    with pytest.raises(ValueError):
        algorithm_entry()


def test_the_start_token_travels_in_metadata_and_is_read_back_from_a_listed_job():
    assert start_metadata(None) is None and start_metadata("t") == {"c2d-runner.start": "t"}
    for metadata, token in ((None, ""), ({"c2d-runner.start": "t"}, "t"), ({"c2d-runner.start": 7}, ""),
                            ({"other": "t"}, ""), ("c2d-runner.start", "")):
        job = node_job(40, metadata=metadata)
        assert job_status(RAW_ID, job, judge(job)).start_token == token


def test_one_free_job_end_to_end(httpserver, compute, wallet, tmp_path, sleeps):
    httpserver.expect_ordered_request("/api/services/computeEnvironments", method="GET").respond_with_json([ENV])
    httpserver.expect_ordered_request("/api/services/nonce").respond_with_json({"nonce": "0"})
    datasets = [dataset_entry(UrlDataset("http://127.0.0.1:8765/data.csv"))]
    body = {"consumerAddress": ADDRESS, "nonce": "1",
            "signature": wire.node_sign_request(wallet, "1", "freeStartCompute"),
            "environment": ENV_ID, "algorithm": algorithm_entry(META), "datasets": datasets,
            "resources": [{"id": "cpu", "amount": 1}, {"id": "ram", "amount": 1}, {"id": "disk", "amount": 0}],
            "maxJobDuration": 60, "metadata": {"c2d-runner.start": "token-1"}}
    httpserver.expect_ordered_request("/api/services/freeCompute", method="POST", json=body).respond_with_json(
        [node_job(10, jobId=JOB_ID)])
    status_query = {"consumerAddress": ADDRESS, "jobId": JOB_ID}
    httpserver.expect_ordered_request("/api/services/compute", query_string=status_query).respond_with_json([node_job(40)])
    httpserver.expect_ordered_request("/api/services/compute", query_string=status_query).respond_with_json([node_job(
        71, dateFinished="1764590016.2", results=RESULTS, terminationDetails={"exitCode": 0, "OOMKilled": False})])
    log = frame(1, "hello\n") + frame(2, "warn\n")
    for index, data in ((2, log), (3, outputs_tar())):
        httpserver.expect_ordered_request("/api/services/computeResult",
                                          query_string={"consumerAddress": ADDRESS, "jobId": JOB_ID, "index": str(index),
                                                        "nonce": str(index), "signature": wire.node_sign_request(
                                                            wallet, str(index), "getComputeResult")}
                                          ).respond_with_data(data)
    picked = choose_environment(compute.environments(), "free", None, 60)
    job_id = compute.start(wallet, picked, algorithm_entry(META), datasets, start_token="token-1")
    seen = []
    job, verdict = compute.wait(wallet, job_id, 600, on_status=lambda j, v: seen.append(v.status))
    assert seen == [40, 71] and verdict.succeeded and sleeps == [1.0, 1.0]  # a look after the start, one more
    from c2d_runner.ocean.node.results import parse_results, pick_result

    results = parse_results(job["results"])
    from c2d_runner.ocean.node.outputs import unpack_outputs

    log_file = tmp_path / "logs" / "algorithm.log"
    compute.save(wallet, job_id, pick_result(results, "algorithmLog"), log_file)
    assert log_file.read_text() == "hello\nwarn\n"
    tar = tmp_path / "outputs.tar"
    compute.save(wallet, job_id, pick_result(results, "output"), tar)
    assert [f.path for f in unpack_outputs(tar, tmp_path / "outputs")] == ["result.json", "sub/nested.txt"]
    assert (tmp_path / "outputs" / "sub" / "nested.txt").read_text() == "nested"


def test_provisioning_failure_reason_has_the_configuration_log_tail(httpserver, compute, wallet):
    failed = node_job(31, dateFinished="1764590003.0", results=RESULTS[:3])
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json([failed])
    httpserver.expect_ordered_request("/api/services/nonce").respond_with_json({"nonce": "0"})
    httpserver.expect_ordered_request("/api/services/computeResult", query_string={
        "consumerAddress": ADDRESS, "jobId": JOB_ID, "index": "1", "nonce": "1",
        "signature": wire.node_sign_request(wallet, "1", "getComputeResult")}).respond_with_data(
        "Downloading asset 0 to /data/inputs/\nUnable to write input data to path: /x/missing.csv: "
        "Request failed with status code 404\n")
    job, verdict = compute.wait(wallet, JOB_ID, 60)
    assert verdict.over and not verdict.succeeded
    assert compute.failure_reason(wallet, JOB_ID, job, verdict) == (
        "status 31 Data provisioning failed: Unable to write input data to "
        "path: /x/missing.csv: Request failed with status code 404")


def test_timeout(httpserver, node_url, http, wallet):
    ticks = iter(range(0, 1000, 30))
    compute = NodeCompute(NodeClient(node_url, http, node_root()), sleep=lambda s: None, clock=lambda: next(ticks))
    httpserver.expect_request("/api/services/compute").respond_with_json([node_job(40)])
    with pytest.raises(ComputeTimeout, match=f"compute job {JOB_ID} not finished after 60 s; last status 40 "
                                             r"\(Running algorithm\)") as info:
        compute.wait(wallet, JOB_ID, 60)
    last = info.value.last_status  # the seam's JobStatus record, judged by the node's rules
    assert (last.job_id, last.status, last.terminal, last.succeeded, last.exit_code) == (JOB_ID, 40, False, False, None)


def test_several_watched_jobs_share_one_listing(httpserver, node_url, http, wallet):
    other = f"{CLUSTER}-{'cd' * 32}"
    compute = NodeCompute(NodeClient(node_url, http, node_root()), clock=lambda: 0.0)
    httpserver.expect_ordered_request("/api/services/compute", query_string={"consumerAddress": ADDRESS}) \
        .respond_with_json([node_job(40), node_job(30, jobId="cd" * 32)])
    compute._watching.update({JOB_ID, other})
    assert compute.status(wallet, JOB_ID)[1].status == 40
    assert compute.status(wallet, other)[1].status == 30  # from the same listing
    assert len(httpserver.log) == 1


def test_follow_logs_writes_text_as_it_comes(httpserver, compute, wallet):
    httpserver.expect_ordered_request("/api/services/nonce").respond_with_json({"nonce": "0"})
    httpserver.expect_ordered_request("/api/services/computeStreamableLogs", query_string={
        "consumerAddress": ADDRESS, "jobId": JOB_ID, "nonce": "1",
        "signature": wire.node_sign_request(wallet, "1", "getComputeStreamableLogs")}).respond_with_response(
        Response(frame(1, "step 1\n") + frame(1, "step 2\n"), content_type=None))
    got = []
    compute.follow_logs(wallet, JOB_ID, got.append)
    assert "".join(got) == "step 1\nstep 2\n"


def test_raw_id_kept_apart_from_prefixed(httpserver, compute, wallet):
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json([node_job(40, jobId=RAW_ID)])
    assert compute.status(wallet, JOB_ID)[0]["jobId"] == RAW_ID


def test_a_busy_node_is_waited_out(httpserver, compute, wallet, sleeps):
    httpserver.expect_ordered_request("/api/services/nonce").respond_with_json({"nonce": "0"})
    httpserver.expect_ordered_request("/api/services/freeCompute").respond_with_json("Not enough available cpu", status=400)
    httpserver.expect_ordered_request("/api/services/freeCompute").respond_with_json("Too many running free jobs ", status=400)
    httpserver.expect_ordered_request("/api/services/freeCompute").respond_with_json([node_job(10, jobId=JOB_ID)])
    assert compute.start(wallet, choice(), algorithm_entry(META), []) == JOB_ID
    assert sleeps == [10.0, 10.0]


def test_other_refusals_are_not_retried(httpserver, compute, wallet):
    from c2d_runner.ocean.node.client import NodeError

    httpserver.expect_ordered_request("/api/services/nonce").respond_with_json({"nonce": "0"})
    httpserver.expect_ordered_request("/api/services/freeCompute").respond_with_json(
        "Error: Not enough cpu resources. Requested 5, but max is 1", status=400)
    with pytest.raises(NodeError, match="Not enough cpu resources"):
        compute.start(wallet, choice(), algorithm_entry(META), [])
