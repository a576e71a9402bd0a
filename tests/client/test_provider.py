"""Each OceanCompute call against pytest-httpserver: the exact requests sent (method, path, query,
body, signature recovered with wire.recover_signer) and the handling of real answer shapes."""
from __future__ import annotations

import hashlib
import json
import threading
from urllib.parse import quote

import pytest
from werkzeug import Response

from c2d_runner import wire
from c2d_runner.ocean import (
    JobResult,
    Resource,
    AlgorithmMetadata,
    ComputeInput,
    ComputeTimeout,
    DDO,
    InvalidComputeRequest,
    JobNotFound,
    NoFreeEnvironment,
    OceanCompute,
    ProviderError,
)

from .conftest import ALGO_DID, CHAIN_ID, DATASET_DID, algorithm_ddo, dataset_ddo, root_document, sent

JOB_ID = "4d32947065bb46c8b87c1f7adfb7ed8b"


def job(status=1, results="", job_id=JOB_ID, owner="0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"):
    """A job object as operator-service writes it."""
    return {
        "agreementId": "0x" + "ab" * 32, "jobId": job_id, "owner": owner, "status": status,
        "statusText": wire.status_text(status), "dateCreated": "1705855599.64",
        "dateFinished": None if status not in wire.TERMINAL_STATUSES else "1705855700.12",
        "results": results, "stopreq": 0, "removed": 0, "algoDID": ALGO_DID, "inputDID": [DATASET_DID],
    }


def expect_root(httpserver, endpoints=None):
    httpserver.expect_ordered_request("/", method="GET").respond_with_json(root_document(endpoints))


def expect_nonce(httpserver, address, nonce="5"):
    httpserver.expect_ordered_request(
        "/api/services/nonce", method="GET", query_string={"userAddress": address}
    ).respond_with_json({"nonce": nonce})


def assert_signed(args, message, address):
    """The signature in `args` recovers to `address` for `message` + nonce."""
    assert wire.recover_signer(message, args["nonce"], args["signature"]) == address


@pytest.fixture
def ddo(provider_url):
    return DDO.from_dict(dataset_ddo(provider_url))


@pytest.fixture
def service(ddo):
    return ddo.get_service_by_id("compute")


# -- environments ------------------------------------------------------------------------------
def test_environments_keyed_by_chain_with_string_numbers(httpserver, oc, provider_url):
    # Oneshot expectations: a second GET / would find no handler and fail the call.
    httpserver.expect_oneshot_request("/", method="GET").respond_with_json(root_document())
    envs_answer = {
        "8996": [
            {"id": "ocean-compute-priced", "priceMin": "1.5", "maxJobDuration": "60", "ramGB": "64",
             "consumerAddress": "0xEnv", "lastSeen": "1705855599.640261", "feeToken": "0xOCEAN"},
            {"id": "ocean-compute", "priceMin": "0", "maxJobs": "10", "currentJobs": 0, "consumerAddress": "0xEnv2"},
        ],
        "137": [{"id": "polygon-env", "priceMin": 0}],
    }
    for _ in range(2):
        httpserver.expect_oneshot_request(
            "/api/services/computeEnvironments", method="GET", query_string={"chainId": "8996"}
        ).respond_with_json(envs_answer)

    envs = oc.get_c2d_environments(provider_url, CHAIN_ID)
    assert [e["id"] for e in envs] == ["ocean-compute-priced", "ocean-compute"]
    priced = envs[0]
    assert priced["priceMin"] == 1.5 and priced["maxJobDuration"] == 60 and priced["ramGB"] == 64
    assert priced["lastSeen"] == pytest.approx(1705855599.640261)
    assert priced.max_job_duration == 60 and priced.fee_token == "0xOCEAN" and not priced.is_free
    assert priced.resources == (Resource("ram", "ram", total=64),) and dict(priced)["ramGB"] == 64 and "ramGB" in priced
    free = oc.get_free_c2d_environment(provider_url, CHAIN_ID)
    assert free.id == "ocean-compute" and free["maxJobs"] == 10 and free.consumer_address == "0xEnv2"
    assert len(sent(httpserver, "/")) == 1  # the root map is fetched once and cached
    assert oc.request_count == 3


def test_environments_legacy_bare_list(httpserver, oc, provider_url):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/computeEnvironments", method="GET").respond_with_json(
        [{"id": "old-env", "priceMin": 0}]
    )
    assert [e.id for e in oc.get_c2d_environments(provider_url + "/", CHAIN_ID)] == ["old-env"]


def test_no_free_environment_is_a_clear_error(httpserver, oc, provider_url):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/computeEnvironments").respond_with_json(
        {"8996": [{"id": "paid", "priceMin": "2"}]}
    )
    with pytest.raises(NoFreeEnvironment, match=r"no free compute environment for chain 8996; environments: paid \(priceMin 2\)"):
        oc.get_free_c2d_environment(provider_url, CHAIN_ID)


def test_environments_for_another_chain_only_give_an_empty_list(httpserver, oc, provider_url):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/computeEnvironments").respond_with_json({"137": [{"id": "x"}]})
    assert oc.get_c2d_environments(provider_url, CHAIN_ID) == []


# -- initialize / start ------------------------------------------------------------------------
def test_initialize_sends_ocean_py_body_unsigned(httpserver, oc, ddo, service, wallet, provider_url):
    algo = DDO.from_dict(algorithm_ddo(provider_url))
    expect_root(httpserver)
    httpserver.expect_ordered_request(
        "/api/services/initializeCompute",
        method="POST",
        json={
            "datasets": [{"documentId": DATASET_DID, "serviceId": "compute", "transferTxId": "0xold"}],
            "algorithm": {"documentId": ALGO_DID, "serviceId": "algo"},
            "compute": {"env": "ocean-compute", "validUntil": 1900000000},
            "consumerAddress": wallet.address,
        },
    ).respond_with_json(
        {"datasets": [{"datatoken": "0xDT", "validOrder": "0xold"}],
         "algorithm": {"datatoken": "0xDT2", "providerFee": {"providerFeeAmount": "0"}, "validOrder": "0xa"}}
    )
    result = oc.initialize(
        wallet, ComputeInput(ddo, service, transfer_tx_id="0xold"), "ocean-compute",
        algorithm=ComputeInput(algo, "algo"), valid_until=1900000000,
    )
    assert result.datasets[0].reusable and result.datasets[0].valid_order == "0xold"
    assert not result.algorithm.reusable and result.needs_order


def test_start_job_body_and_signature(httpserver, oc, ddo, service, wallet, provider_url):
    algo = DDO.from_dict(algorithm_ddo(provider_url))
    extra = DDO.from_dict(dataset_ddo(provider_url, did="did:op:" + "1" * 64))
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address, "5")
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json([job(1)])

    job_id = oc.start_job(
        wallet,
        ComputeInput(ddo, service, transfer_tx_id="0xd1", userdata={"rows": 3}),
        "ocean-compute",
        algorithm=ComputeInput(algo, "algo", transfer_tx_id="0xa1"),
        algorithm_algocustomdata={"n": 2},
        additional_datasets=[ComputeInput(extra, "compute", transfer_tx_id="0xd2")],
    )
    assert job_id == JOB_ID
    (req,) = sent(httpserver, "/api/services/compute", "POST")
    assert req.args == {}  # a POST carries its data in the JSON body only
    body = req.get_json()
    signature = body.pop("signature")
    assert body == {
        "dataset": {"documentId": DATASET_DID, "serviceId": "compute", "transferTxId": "0xd1", "userdata": {"rows": 3}},
        "algorithm": {"documentId": ALGO_DID, "serviceId": "algo", "transferTxId": "0xa1", "algocustomdata": {"n": 2}},
        "additionalDatasets": [{"documentId": "did:op:" + "1" * 64, "serviceId": "compute", "transferTxId": "0xd2"}],
        "environment": "ocean-compute",
        "consumerAddress": wallet.address,
        "nonce": 6,  # ceil(provider nonce) + 1, a JSON number
    }
    assert wire.recover_signer(wallet.address + DATASET_DID, 6, signature) == wallet.address


def test_start_job_with_raw_algorithm(httpserver, oc, ddo, service, wallet):
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address, 3.0)
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json({"jobId": "j2", "status": 1})
    meta = AlgorithmMetadata({
        "rawcode": "print(1)", "language": "python", "version": "3.11",
        "container": {"entrypoint": "python $ALGO", "image": "python", "tag": "3.11", "checksum": "sha256:" + "a" * 64},
    })
    assert oc.start_job(wallet, ComputeInput(ddo, service, "0xd1"), "ocean-compute", algorithm_meta=meta) == "j2"
    body = sent(httpserver, "/api/services/compute", "POST")[0].get_json()
    assert body["algorithm"] == {"meta": {
        "language": "python", "version": "3.11", "rawcode": "print(1)",
        "container": {"entrypoint": "python $ALGO", "image": "python", "tag": "3.11", "checksum": "sha256:" + "a" * 64},
    }}
    assert "additionalDatasets" not in body and body["nonce"] == 4


def test_start_job_refuses_inputs_without_orders_before_any_request(oc, ddo, service, wallet):
    with pytest.raises(InvalidComputeRequest, match=r"has no transfer_tx_id"):
        oc.start_job(wallet, ComputeInput(ddo, service), "ocean-compute", algorithm_meta=None)
    assert oc.request_count == 0


def test_start_fetches_ddo_checks_and_uses_initialize_orders(httpserver, oc, ddo, wallet, provider_url):
    algo = DDO.from_dict(algorithm_ddo(provider_url))
    httpserver.expect_ordered_request(f"/api/aquarius/assets/ddo/{DATASET_DID}", method="GET").respond_with_json(
        dataset_ddo(provider_url)
    )
    expect_root(httpserver)
    httpserver.expect_ordered_request(
        "/api/services/fileinfo", method="POST", json={"did": DATASET_DID, "serviceId": "compute"}
    ).respond_with_json([{"valid": True, "type": "url", "contentLength": "10"}])
    httpserver.expect_ordered_request("/api/services/initializeCompute", method="POST").respond_with_json(
        {"datasets": [{"datatoken": "0xDT", "validOrder": "0xorder1"}],
         "algorithm": {"datatoken": "0xDT2", "validOrder": "0xorder2"}}
    )
    expect_nonce(httpserver, wallet.address, "1")
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json([job(1)])

    job_id = oc.start(wallet, ComputeInput(ddo, "compute"), "ocean-compute",
                      algorithm=ComputeInput(algo, "algo"), algorithm_algocustomdata={"k": 1})
    assert job_id == JOB_ID
    init = sent(httpserver, "/api/services/initializeCompute")[0].get_json()
    assert init["datasets"] == [{"documentId": DATASET_DID, "serviceId": "compute"}]
    assert init["consumerAddress"] == wallet.address and isinstance(init["compute"]["validUntil"], int)
    body = sent(httpserver, "/api/services/compute", "POST")[0].get_json()
    assert body["dataset"]["transferTxId"] == "0xorder1"
    assert body["algorithm"]["transferTxId"] == "0xorder2"
    assert body["algorithm"]["algocustomdata"] == {"k": 1}
    assert_signed(body, wallet.address + DATASET_DID, wallet.address)
    assert oc.request_count == 6


def test_start_refuses_a_provider_fee_that_needs_an_on_chain_order(httpserver, oc, ddo, wallet, provider_url):
    httpserver.expect_ordered_request(f"/api/aquarius/assets/ddo/{DATASET_DID}").respond_with_json(dataset_ddo(provider_url))
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/fileinfo", method="POST").respond_with_json([{"valid": True}])
    httpserver.expect_ordered_request("/api/services/initializeCompute", method="POST").respond_with_json(
        {"datasets": [{"datatoken": "0xDT", "providerFee": {"providerFeeAmount": "1000", "providerFeeToken": "0xOCEAN"}}]}
    )
    meta = AlgorithmMetadata(rawcode="print(1)", entrypoint="python $ALGO", image="python", tag="3.11")
    with pytest.raises(Exception) as info:
        oc.start(wallet, ComputeInput(ddo, "compute"), "ocean-compute-priced", algorithm_meta=meta)
    assert type(info.value).__name__ == "OrderRequired"
    assert "needs an on-chain order" in str(info.value) and "providerFee amount 1000" in str(info.value)
    assert "not supported yet" in str(info.value)
    assert sent(httpserver, "/api/services/compute") == []


def test_start_refuses_an_access_service_before_calling_the_provider(httpserver, oc, wallet, provider_url):
    data = dataset_ddo(provider_url, service_type="access")
    httpserver.expect_ordered_request(f"/api/aquarius/assets/ddo/{DATASET_DID}").respond_with_json(data)
    with pytest.raises(InvalidComputeRequest, match=r"of type 'access'; a job's first dataset must use a compute service"):
        oc.start(wallet, ComputeInput(DDO.from_dict(data), "compute"), "ocean-compute",
                 algorithm_meta=AlgorithmMetadata(rawcode="x", entrypoint="python $ALGO", image="python"))
    assert oc.request_count == 1


# -- status / jobs / wait ----------------------------------------------------------------------
def test_status_query_and_ok(httpserver, oc, ddo, service, wallet):
    expect_root(httpserver)
    for status in ("40", 31):
        httpserver.expect_ordered_request(
            "/api/services/compute", method="GET",
            query_string={"consumerAddress": wallet.address, "documentId": DATASET_DID, "jobId": JOB_ID},
        ).respond_with_json([dict(job(40), status=status)])
    first = oc.status(ddo, service, JOB_ID, wallet)
    assert first["status"] == 40 and first["ok"] is True and first["statusText"] == "Running algorithm "
    failed = oc.status(ddo, service, JOB_ID, wallet)
    assert failed["status"] == 31 and failed["ok"] is False


def test_job_status_is_a_record_with_the_provider_rules(httpserver, oc, ddo, service, wallet):
    expect_root(httpserver)
    listing = [{"filename": "out.json", "filesize": "12", "type": "output"},
               {"filename": "algorithm.log", "type": "algorithmLog"}]
    for answer in (dict(job(40), status="40"), dict(job(70, listing), dateFinished="1705855700.12", stopreq=2),
                   job(31, "")):
        httpserver.expect_ordered_request("/api/services/compute", method="GET").respond_with_json([answer])
    running = oc.job_status(ddo, service, JOB_ID, wallet)
    assert (running.status, running.terminal, running.succeeded, running.ok) == (40, False, False, True)
    assert running.job_id == JOB_ID and running.status_text == "Running algorithm " and running.exit_code is None
    done = oc.job_status(ddo, service, JOB_ID, wallet)
    assert (done.status, done.terminal, done.succeeded, done.stop_requested) == (70, True, True, 2)
    assert done.date_finished == pytest.approx(1705855700.12) and done.describe() == "70 Job finished"
    assert done.results == (JobResult(0, "output", "out.json", 12), JobResult(1, "algorithmLog", "algorithm.log"))
    failed = oc.job_status(ddo, service, JOB_ID, wallet)
    assert (failed.terminal, failed.succeeded, failed.ok, failed.results) == (True, False, False, ())


def test_status_signed_like_ocean_py_when_asked(httpserver, provider_url, ddo, service, wallet):
    oc = OceanCompute({"METADATA_CACHE_URI": provider_url, "SIGN_STATUS": True, "CLOCK_NONCES": False})
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address, "9")
    httpserver.expect_ordered_request("/api/services/compute", method="GET").respond_with_json([job(70, [])])
    assert oc.status(ddo, service, JOB_ID, wallet)["ok"] is True
    args = sent(httpserver, "/api/services/compute")[0].args
    assert args["nonce"] == "10"
    assert_signed(args, wallet.address + JOB_ID + DATASET_DID, wallet.address)


def test_status_of_unknown_job(httpserver, oc, ddo, service, wallet):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json([])
    with pytest.raises(JobNotFound, match=r"no job 4d3294"):
        oc.status(ddo, service, JOB_ID, wallet)


def test_jobs_lists_the_consumers_jobs(httpserver, oc, wallet, provider_url):
    expect_root(httpserver)
    httpserver.expect_ordered_request(
        "/api/services/compute", method="GET", query_string={"consumerAddress": wallet.address}
    ).respond_with_json([job(70, [], "a"), job(1, "", "b")])
    jobs = oc.jobs(provider_url, wallet)
    assert [(j.job_id, j.status, j.ok) for j in jobs] == [("a", 70, True), ("b", 1, True)]


class FakeTime:
    """A clock that moves only when the client sleeps."""

    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_polls_numeric_status_paced_and_reports_progress(httpserver, provider_url, ddo, service, wallet):
    expect_root(httpserver)
    # statusText and dateFinished are deliberately misleading: only the number counts.
    steps = [dict(job(1), dateFinished="1705855700"), job(40), dict(job(40), statusText="Job finished"), job(60),
             job(40), job(40), job(70, [])]
    for step in steps:
        httpserver.expect_ordered_request("/api/services/compute", method="GET").respond_with_json([step])
    fake = FakeTime()
    with OceanCompute({"METADATA_CACHE_URI": provider_url}, sleep=fake.sleep, clock=lambda: fake.now) as oc:
        seen = []
        final = oc.wait(ddo, service, JOB_ID, wallet, timeout=60, on_status=lambda s: seen.append(s.status))
    assert final.status == 70 and final.succeeded
    assert seen == [1, 40, 60, 40, 70]
    # Nothing learned yet, on loopback: 20 ms waits until a quarter of the job's age is longer.
    assert fake.sleeps == pytest.approx([0.02] * 5 + [0.025, 0.03125])


def test_wait_looks_first_when_the_jobs_waited_on_so_far_ended(httpserver, provider_url, ddo, service, wallet):
    expect_root(httpserver)
    ended = dict(job(70, []), dateCreated="100.0", dateFinished="100.4")  # ran 0.4 s by the provider's clock
    for step in (ended, dict(ended, jobId="second", dateCreated="200.0", dateFinished="200.6")):
        httpserver.expect_ordered_request("/api/services/compute", method="GET").respond_with_json([step])
    fake = FakeTime()
    with OceanCompute({"METADATA_CACHE_URI": provider_url}, sleep=fake.sleep, clock=lambda: fake.now) as oc:
        oc.wait(ddo, service, JOB_ID, wallet, timeout=60)
        assert fake.sleeps == [0.02]
        oc.wait(ddo, service, "second", wallet, timeout=60)
    assert fake.sleeps == pytest.approx([0.02, 0.4])  # one look, when the first job had ended


def test_wait_returns_on_failure_codes(httpserver, oc, ddo, service, wallet):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json([job(32, [])])
    final = oc.wait(ddo, service, JOB_ID, wallet, timeout=5)
    assert final.status == 32 and final.terminal and not final.succeeded


def test_wait_timeout_reports_last_status(httpserver, provider_url, ddo, service, wallet):
    clock = {"t": 0.0}
    oc = OceanCompute({"METADATA_CACHE_URI": provider_url, "POLL_INTERVAL_MAX": 2},
                      sleep=lambda s: clock.__setitem__("t", clock["t"] + s), clock=lambda: clock["t"])
    httpserver.expect_request("/").respond_with_json(root_document())
    httpserver.expect_request("/api/services/compute").respond_with_json([job(40)])
    with pytest.raises(ComputeTimeout, match=r"not finished after 10 s; last status 40 \(Running algorithm\)") as info:
        oc.wait(ddo, service, JOB_ID, wallet, timeout=10)
    assert info.value.last_status.status == 40 and info.value.job_id == JOB_ID


# -- stop / delete -----------------------------------------------------------------------------
@pytest.mark.parametrize("action, method, answer", [("stop", "PUT", [job(40)]), ("delete", "DELETE", "")])
def test_stop_and_delete_are_signed_query_calls(httpserver, oc, ddo, service, wallet, action, method, answer):
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address, "2")
    handler = httpserver.expect_ordered_request("/api/services/compute", method=method)
    handler.respond_with_json(answer)
    result = getattr(oc, action)(ddo, service, JOB_ID, wallet)
    assert result["ok"] is True and result["jobId"] == JOB_ID
    (req,) = sent(httpserver, "/api/services/compute", method)
    args = dict(req.args)
    assert set(args) == {"consumerAddress", "documentId", "jobId", "nonce", "signature"}
    assert (args["consumerAddress"], args["documentId"], args["jobId"], args["nonce"]) == (
        wallet.address, DATASET_DID, JOB_ID, "3")
    assert req.get_data() == b""
    assert_signed(args, wallet.address + JOB_ID + DATASET_DID, wallet.address)


def test_nonces_keep_increasing_even_when_the_provider_lags(httpserver, oc, ddo, service, wallet):
    expect_root(httpserver)
    for _ in range(2):
        expect_nonce(httpserver, wallet.address, "2")  # the provider has not stored our last one
        httpserver.expect_ordered_request("/api/services/compute", method="PUT").respond_with_json([job(40)])
    oc.stop(ddo, service, JOB_ID, wallet)
    oc.stop(ddo, service, JOB_ID, wallet)
    assert [r.args["nonce"] for r in sent(httpserver, "/api/services/compute", "PUT")] == ["3", "4"]


# -- results -----------------------------------------------------------------------------------
def test_result_is_signed_with_index_in_query(httpserver, oc, ddo, service, wallet):
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address, "7")
    httpserver.expect_ordered_request("/api/services/computeResult", method="GET").respond_with_data(
        b"\x00\x01bytes", headers={"Content-Disposition": "attachment;filename=result"}
    )
    assert oc.result(ddo, service, JOB_ID, 0, wallet) == b"\x00\x01bytes"
    args = dict(sent(httpserver, "/api/services/computeResult")[0].args)
    assert set(args) == {"signature", "nonce", "jobId", "index", "consumerAddress"}
    assert (args["index"], args["jobId"], args["nonce"]) == ("0", JOB_ID, "8")
    assert_signed(args, wallet.address + JOB_ID + "0", wallet.address)


def test_result_retry_after_503_is_signed_with_a_fresh_nonce(httpserver, oc, ddo, service, wallet, sleeps):
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address, "7")
    httpserver.expect_ordered_request("/api/services/computeResult").respond_with_json({"error": "busy"}, status=503)
    expect_nonce(httpserver, wallet.address, "8")  # the provider stored 8 before failing
    httpserver.expect_ordered_request("/api/services/computeResult").respond_with_data(b"ok")
    assert oc.result(ddo, service, JOB_ID, 1, wallet) == b"ok"
    assert [r.args["nonce"] for r in sent(httpserver, "/api/services/computeResult")] == ["8", "9"]
    assert len(sleeps) == 1


def test_download_result_streams_to_a_folder_and_hashes(httpserver, oc, ddo, service, wallet, tmp_path):
    payload = b"x" * (3 * (1 << 20) + 17)
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address)
    httpserver.expect_ordered_request("/api/services/computeResult").respond_with_data(
        payload, headers={"Content-Disposition": "attachment;filename=../../etc/stats.json"}
    )
    got = oc.download_result(ddo, service, JOB_ID, 2, wallet, tmp_path)
    assert got == ("stats.json", len(payload), hashlib.sha256(payload).hexdigest())
    assert (tmp_path / "stats.json").read_bytes() == payload
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stats.json"]  # no temp file left


def test_download_result_to_a_file_path_without_content_disposition(httpserver, oc, ddo, service, wallet, tmp_path):
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address)
    httpserver.expect_ordered_request("/api/services/computeResult").respond_with_data(b"log line\n")
    target = tmp_path / "sub" / "algorithm.log"
    filename, size, digest = oc.download_result(ddo, service, JOB_ID, 1, wallet, target)
    assert (filename, size) == ("result-1", 9) and target.read_bytes() == b"log line\n"
    assert digest == hashlib.sha256(b"log line\n").hexdigest()


def test_download_result_with_a_name_of_250_bytes(httpserver, oc, ddo, service, wallet, tmp_path):
    # The temporary file must not be named after the result: ".<250 bytes>.part" exceeds NAME_MAX.
    name = "é" * 123 + ".csv"  # 250 bytes in UTF-8
    assert len(name.encode()) == 250
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address)
    httpserver.expect_ordered_request("/api/services/computeResult").respond_with_data(
        b"a,b\n", headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})
    got = oc.download_result(ddo, service, JOB_ID, 0, wallet, tmp_path)
    assert got.filename == name
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert (tmp_path / name).read_bytes() == b"a,b\n"


def test_truncated_download_leaves_nothing_behind(httpserver, oc, ddo, service, wallet, tmp_path):
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address)
    httpserver.expect_ordered_request("/api/services/computeResult").respond_with_response(
        Response(iter([b"only ten b"]), headers={"Content-Length": "100", "Content-Disposition": "attachment;filename=out"})
    )
    with pytest.raises(ProviderError, match=r"(interrupted|truncated)"):
        oc.download_result(ddo, service, JOB_ID, 0, wallet, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_download_result_error_keeps_provider_text(httpserver, oc, ddo, service, wallet, tmp_path):
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address)
    httpserver.expect_ordered_request("/api/services/computeResult").respond_with_json(
        {"error": "No such index 9 in this compute job"}, status=404)
    with pytest.raises(ProviderError, match=r"HTTP 404 \(GET http://.*/api/services/computeResult\): No such index 9") as info:
        oc.download_result(ddo, service, JOB_ID, 9, wallet, tmp_path)
    assert info.value.status == 404
    assert list(tmp_path.iterdir()) == []


def test_compute_job_result_logs_downloads_only_matching_types(httpserver, oc, ddo, service, wallet):
    results = [
        {"filename": "stats.json", "filesize": 2, "type": "output"},
        {"filename": "algorithm.log", "filesize": 3, "type": "algorithmLog"},
        {"filename": "extra.txt", "filesize": 1, "type": "output"},
    ]
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json([job(70, results)])
    for index, data in ((0, b"{}"), (2, b"e")):
        expect_nonce(httpserver, wallet.address)
        httpserver.expect_ordered_request(
            "/api/services/computeResult", query_string=None
        ).respond_with_data(data)
    assert oc.compute_job_result_logs(ddo, service, JOB_ID, wallet) == [b"{}", b"e"]
    assert [r.args["index"] for r in sent(httpserver, "/api/services/computeResult")] == ["0", "2"]
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json([job(70, "")])
    assert oc.compute_job_result_logs(ddo, service, JOB_ID, wallet, log_type="algorithmLog") == []


# -- root map ----------------------------------------------------------------------------------
def test_paths_come_from_the_root_map(httpserver, oc, ddo, service, wallet):
    custom = dict(root_document()["serviceEndpoints"], computeStatus=["GET", "/v2/status"])
    expect_root(httpserver, custom)
    httpserver.expect_ordered_request("/v2/status", method="GET").respond_with_json([job(70, [])])
    assert oc.status(ddo, service, JOB_ID, wallet)["status"] == 70


# -- error shapes and transport failures -------------------------------------------------------
@pytest.mark.parametrize(
    "status, body, content_type, expected",
    [
        (400, {"error": "Compute environment does not exist"}, "application/json", r"HTTP 400 .*: Compute environment does not exist"),
        (400, {"error": {"dataset": "order_invalid"}}, "application/json", r"HTTP 400 .*: dataset: order_invalid"),
        (400, {"errors": {"signature": ["Invalid signature provided. Please check the nonce or documentId."]},
               "message": "Validation error", "success": False}, "application/json",
         r"HTTP 400 .*: signature: Invalid signature provided"),
        (401, "consumer address and nonce signature mismatch", "application/json", r"HTTP 401 .*: consumer address and nonce"),
        (404, {"error": "404 Not Found: The requested URL was not found", "context": {}}, "application/json", r"HTTP 404 .*: 404 Not Found"),
        (502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", r"HTTP 502 .*: <html><body><h1>502 Bad Gateway"),
    ],
)
def test_start_errors_carry_status_endpoint_and_provider_text(httpserver, oc, ddo, service, wallet, status, body, content_type, expected):
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address)
    data = json.dumps(body) if content_type == "application/json" else body
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_data(
        data, status=status, content_type=content_type)
    meta = AlgorithmMetadata(rawcode="x", entrypoint="python $ALGO", image="python")
    with pytest.raises(ProviderError, match=expected) as info:
        oc.start_job(wallet, ComputeInput(ddo, service, "0xd"), "ocean-compute", algorithm_meta=meta)
    assert info.value.status == status and "POST http://" in info.value.endpoint
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        assert info.value.error_codes == {"dataset": "order_invalid"}
    # A start is never retried blindly: exactly one POST went out.
    assert len(sent(httpserver, "/api/services/compute", "POST")) == 1


def test_idempotent_status_is_retried_on_503_and_429(httpserver, oc, ddo, service, wallet, sleeps):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json({"error": "db locked"}, status=503)
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json(
        {"error": "slow down"}, status=429, headers={"Retry-After": "7"})
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json([job(70, [])])
    assert oc.status(ddo, service, JOB_ID, wallet)["status"] == 70
    assert len(sleeps) == 2 and 0.2 <= sleeps[0] <= 0.3 and sleeps[1] == 7
    assert oc.request_count == 4


def test_initialize_is_a_quote_and_is_retried_on_503(httpserver, oc, ddo, service, wallet, sleeps):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/initializeCompute", method="POST").respond_with_json(
        {"error": "busy"}, status=503)
    httpserver.expect_ordered_request("/api/services/initializeCompute", method="POST").respond_with_json(
        {"datasets": [{"datatoken": "0xDT", "validOrder": "0xnew"}]})
    meta = AlgorithmMetadata({
        "rawcode": "print(1)", "language": "python", "version": "3.11",
        "container": {"entrypoint": "python $ALGO", "image": "python", "tag": "3.11", "checksum": "sha256:" + "a" * 64},
    })
    result = oc.initialize(wallet, ComputeInput(ddo, service), "ocean-compute", algorithm_meta=meta,
                           valid_until=1900000000)
    assert result.datasets[0].valid_order == "0xnew" and len(sleeps) == 1
    assert len(sent(httpserver, "/api/services/initializeCompute", "POST")) == 2


def test_retry_after_is_capped(httpserver, provider_url, ddo, service, wallet, sleeps):
    oc = OceanCompute({"METADATA_CACHE_URI": provider_url, "RETRY_AFTER_MAX": 30, "RETRIES": 1}, sleep=sleeps.append)
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/compute").respond_with_data("", status=429, headers={"Retry-After": "86400"})
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json([job(70, [])])
    oc.status(ddo, service, JOB_ID, wallet)
    assert sleeps == [30]


def test_retries_give_up_with_the_last_error(httpserver, oc, ddo, service, wallet, sleeps):
    expect_root(httpserver)
    for _ in range(3):
        httpserver.expect_ordered_request("/api/services/compute").respond_with_json({"error": "down"}, status=503)
    with pytest.raises(ProviderError, match=r"HTTP 503 .*: down"):
        oc.status(ddo, service, JOB_ID, wallet)
    assert len(sleeps) == 2


def test_stop_is_not_retried_on_500(httpserver, oc, ddo, service, wallet, sleeps):
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address)
    httpserver.expect_ordered_request("/api/services/compute", method="PUT").respond_with_json({"error": "x"}, status=500)
    with pytest.raises(ProviderError, match="HTTP 500"):
        oc.stop(ddo, service, JOB_ID, wallet)
    assert sleeps == [] and len(sent(httpserver, "/api/services/compute", "PUT")) == 1


def test_a_start_refused_with_503_is_sent_again_after_retry_after(httpserver, oc, ddo, service, wallet, sleeps):
    # A 503 (like a 429) is a refusal before any handler ran: the job was not started.
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address)
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json(
        {"error": "restarting"}, status=503, headers={"Retry-After": "2"})
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json(job(1))
    meta = AlgorithmMetadata({
        "rawcode": "print(1)", "language": "python", "version": "3.11",
        "container": {"entrypoint": "python $ALGO", "image": "python", "tag": "3.11", "checksum": "sha256:" + "a" * 64},
    })
    assert oc.start_job(wallet, ComputeInput(ddo, service, "0xd1"), "ocean-compute", algorithm_meta=meta) == JOB_ID
    assert sleeps == [2] and len(sent(httpserver, "/api/services/compute", "POST")) == 2


def test_non_json_success_answer(httpserver, oc, ddo, service, wallet):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/compute").respond_with_data("OK", content_type="text/plain")
    with pytest.raises(ProviderError, match=r"is not an Ocean Provider, Ocean Node or Aquarius: it answered text, "
                                            r"not JSON: 'OK' \(HTTP 200 to GET "):
        oc.status(ddo, service, JOB_ID, wallet)


def test_connection_refused_is_retried_then_reported(ddo, wallet, sleeps):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    oc = OceanCompute({"RETRIES": 2}, sleep=sleeps.append)
    with pytest.raises(ProviderError, match=r"no response \(GET http://127.0.0.1:\d+/\): cannot connect: Connection refused") as info:
        oc.get_c2d_environments(f"http://127.0.0.1:{port}", CHAIN_ID)
    assert info.value.status is None
    assert oc.request_count == 3 and len(sleeps) == 2


def test_read_timeout_is_reported_never_waits_forever(httpserver, provider_url, ddo, service, wallet):
    release = threading.Event()

    def slow(_request):
        release.wait(2)
        return Response("[]", content_type="application/json")

    oc = OceanCompute({"REQUEST_TIMEOUT": [2, 0.2], "RETRIES": 0})
    httpserver.expect_ordered_request("/").respond_with_json(root_document())
    httpserver.expect_ordered_request("/api/services/compute").respond_with_handler(slow)
    try:
        with pytest.raises(ProviderError, match=r"timed out \(connect 2 s, read 0.2 s\)"):
            oc.status(ddo, service, JOB_ID, wallet)
    finally:
        release.set()
        # Let the server finish the abandoned request, so it is not logged into the next test.
        for _ in range(200):
            if sent(httpserver, "/api/services/compute"):
                break
            threading.Event().wait(0.01)


# -- consumability before start ----------------------------------------------------------------
@pytest.mark.parametrize(
    "nft_state, credentials, fileinfo, code",
    [
        (3, None, None, 1),  # revoked: no provider call at all
        (0, None, (200, [{"valid": False}]), 2),
        (0, None, (503, {"error": "cannot reach files"}), 2),
        (0, {"allow": [{"type": "address", "values": ["0x07f89e61405cf314c54803fa4E9864b376652986"]}], "deny": []},
         (200, [{"valid": True}]), 3),
        (0, {"allow": [], "deny": [{"type": "address", "values": ["0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266"]}]},
         (200, [{"valid": True}]), 4),
    ],
)
def test_start_raises_asset_not_consumable_with_ocean_py_codes(
        httpserver, provider_url, wallet, sleeps, nft_state, credentials, fileinfo, code):
    from c2d_runner.ocean import AssetNotConsumable

    oc = OceanCompute({"METADATA_CACHE_URI": provider_url, "RETRIES": 0}, sleep=sleeps.append)
    data = dataset_ddo(provider_url, nft_state=nft_state, credentials=credentials)
    httpserver.expect_ordered_request(f"/api/aquarius/assets/ddo/{DATASET_DID}").respond_with_json(data)
    if fileinfo is not None:
        expect_root(httpserver)
        status, body = fileinfo
        httpserver.expect_ordered_request(
            "/api/services/fileinfo", method="POST", json={"did": DATASET_DID, "serviceId": "compute"}
        ).respond_with_json(body, status=status)
    meta = AlgorithmMetadata(rawcode="x", entrypoint="python $ALGO", image="python")
    with pytest.raises(AssetNotConsumable, match=rf"asset {DATASET_DID} is not consumable: code {code},") as info:
        oc.start(wallet, ComputeInput(DDO.from_dict(data), "compute"), "ocean-compute", algorithm_meta=meta)
    assert info.value.consumable_code == code
    assert sent(httpserver, "/api/services/initializeCompute") == [] and sent(httpserver, "/api/services/compute") == []


def test_connectivity_check_can_be_turned_off(httpserver, provider_url, wallet):
    oc = OceanCompute({"METADATA_CACHE_URI": provider_url, "CONNECTIVITY_CHECK": False, "CLOCK_NONCES": False})
    data = dataset_ddo(provider_url)
    httpserver.expect_ordered_request(f"/api/aquarius/assets/ddo/{DATASET_DID}").respond_with_json(data)
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/initializeCompute", method="POST").respond_with_json(
        {"datasets": [{"validOrder": "0x1"}]})
    expect_nonce(httpserver, wallet.address)
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json([job(1)])
    meta = AlgorithmMetadata(rawcode="x", entrypoint="python $ALGO", image="python")
    assert oc.start(wallet, ComputeInput(DDO.from_dict(data), "compute"), "ocean-compute", algorithm_meta=meta) == JOB_ID


def test_start_read_timeout_is_flagged_uncertain_and_not_retried(httpserver, provider_url, ddo, service, wallet):
    release = threading.Event()

    def slow(_request):
        release.wait(2)
        return Response("[]", content_type="application/json")

    oc = OceanCompute({"REQUEST_TIMEOUT": [2, 0.2], "RETRIES": 3})
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_handler(slow)
    meta = AlgorithmMetadata(rawcode="x", entrypoint="python $ALGO", image="python")
    try:
        with pytest.raises(ProviderError, match=r"timed out .*may have taken effect, check before sending it again") as info:
            oc.start_job(wallet, ComputeInput(ddo, service, "0xd"), "ocean-compute", algorithm_meta=meta)
        assert info.value.uncertain and info.value.status is None
    finally:
        release.set()
        for _ in range(200):
            if sent(httpserver, "/api/services/compute"):
                break
            threading.Event().wait(0.01)
    assert oc.request_count == 2  # root, one start (a clock nonce needs no request)


def test_status_never_reports_another_job(httpserver, oc, ddo, service, wallet):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/compute").respond_with_json([job(70, [], "someone-else")])
    with pytest.raises(JobNotFound):
        oc.status(ddo, service, JOB_ID, wallet)


def test_download_into_a_new_folder_given_with_a_trailing_slash(httpserver, oc, ddo, service, wallet, tmp_path):
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address)
    httpserver.expect_ordered_request("/api/services/computeResult").respond_with_data(
        b"1", headers={"Content-Disposition": 'attachment; filename="out.txt"'})
    name, size, _ = oc.download_result(ddo, service, JOB_ID, 0, wallet, f"{tmp_path}/new/")
    assert (name, size) == ("out.txt", 1) and (tmp_path / "new" / "out.txt").read_bytes() == b"1"


@pytest.mark.parametrize("header,expected", [
    ("attachment;filename=out.txt", "out.txt"),
    ('attachment;filename="a;b.txt"', "a;b.txt"),
    ("attachment;filename=\"__.txt\";filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt", "日本.txt"),
    ("attachment;filename=../../etc/passwd", "passwd"),
    ('attachment;filename=".."', "fallback"),
    ("attachment;filename=\"a\\x01b\"".replace("\\x01", "\x01"), "fallback"),
    (None, "fallback"),
])
def test_safe_filename_reads_rfc6266_and_never_leaves_the_folder(header, expected):
    from c2d_runner.ocean.messages import safe_filename

    assert safe_filename(header, "fallback") == expected


def test_start_refused_for_a_stale_nonce_is_signed_again_once(httpserver, oc, ddo, service, wallet):
    # Another process with the same key stored nonce 9 between our nonce call and our start.
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address, "5")
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json(
        {"errors": {"signature": "Invalid signature expected nonce (6) > current nonce (9)."},
         "message": "Validation error", "success": False}, status=400)
    expect_nonce(httpserver, wallet.address, "9")
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json([job(1)])
    assert oc.start_job(wallet, ComputeInput(ddo, service, transfer_tx_id="0xd1"), "ocean-compute",
                        algorithm_meta=AlgorithmMetadata({"rawcode": "print(1)", "container": {
                            "entrypoint": "python $ALGO", "image": "python", "tag": "3.11",
                            "checksum": "sha256:" + "0" * 64}})) == JOB_ID
    nonces = [r.get_json()["nonce"] for r in sent(httpserver, "/api/services/compute", "POST")]
    assert nonces == [6, 10]


def test_start_refused_for_another_reason_is_not_retried(httpserver, oc, ddo, service, wallet):
    expect_root(httpserver)
    expect_nonce(httpserver, wallet.address, "5")
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json(
        {"error": {"order": "order_invalid"}}, status=400)
    with pytest.raises(ProviderError, match="order_invalid"):
        oc.start_job(wallet, ComputeInput(ddo, service, transfer_tx_id="0xd1"), "ocean-compute",
                     algorithm_meta=AlgorithmMetadata({"rawcode": "print(1)", "container": {
                         "entrypoint": "python $ALGO", "image": "python", "tag": "3.11",
                         "checksum": "sha256:" + "0" * 64}}))
    assert len(sent(httpserver, "/api/services/compute", "POST")) == 1


def test_a_nonce_refused_twice_raises_with_the_provider_text(httpserver, oc, ddo, service, wallet):
    stale = {"errors": {"signature": "Invalid signature expected nonce (5) > current nonce (3)."}}
    expect_root(httpserver)
    for _ in range(2):
        expect_nonce(httpserver, wallet.address)
        httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json(stale, status=400)
    meta = AlgorithmMetadata(rawcode="x", entrypoint="python $ALGO", image="python")
    with pytest.raises(ProviderError, match=r"signature: Invalid signature expected nonce \(5\)"):
        oc.start_job(wallet, ComputeInput(ddo, service, "0xd"), "ocean-compute", algorithm_meta=meta)
    assert len(sent(httpserver, "/api/services/compute", "POST")) == 2
