"""Clock nonces (the default): no nonce request before a signed call; the provider's nonce is asked
only after it refused one, and the call is signed once more above it."""
from __future__ import annotations

import time

import pytest

from c2d_runner.ocean import AlgorithmMetadata, ComputeInput, OceanCompute

from .conftest import CHAIN_ID, sent
from .test_provider import JOB_ID, assert_signed, ddo, expect_nonce, expect_root, job, service  # noqa: F401

META = AlgorithmMetadata(rawcode="x", entrypoint="python $ALGO", image="python")
STALE = {"errors": {"signature": "Invalid signature expected nonce (5) > current nonce (9999999999999)."}}


@pytest.fixture
def clocked(provider_url, sleeps):
    client = OceanCompute({"METADATA_CACHE_URI": provider_url, "CHAIN_ID": CHAIN_ID, "RETRIES": 2},
                          sleep=sleeps.append)
    yield client
    client.close()


def test_signed_calls_send_increasing_clock_nonces_without_asking(httpserver, clocked, ddo, service, wallet):
    expect_root(httpserver)
    httpserver.expect_request("/api/services/compute", method="PUT").respond_with_json([job(40)])
    before = int(time.time() * 1000)
    clocked.stop(ddo, service, JOB_ID, wallet)
    clocked.stop(ddo, service, JOB_ID, wallet)
    nonces = [int(r.args["nonce"]) for r in sent(httpserver, "/api/services/compute", "PUT")]
    assert sent(httpserver, "/api/services/nonce") == []
    assert before <= nonces[0] < nonces[1] <= int(time.time() * 1000) + 1
    assert_signed(sent(httpserver, "/api/services/compute", "PUT")[1].args, wallet.address + JOB_ID + ddo.did,
                  wallet.address)


def test_a_refused_clock_nonce_asks_the_provider_once_and_signs_above_it(httpserver, clocked, ddo, service, wallet):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json(STALE, status=400)
    expect_nonce(httpserver, wallet.address, "9999999999999")
    httpserver.expect_ordered_request("/api/services/compute", method="POST").respond_with_json([job(1)])
    httpserver.expect_ordered_request("/api/services/compute", method="PUT").respond_with_json([job(40)])
    assert clocked.start_job(wallet, ComputeInput(ddo, service, "0xd"), "ocean-compute", algorithm_meta=META) == JOB_ID
    clocked.stop(ddo, service, JOB_ID, wallet)  # the provider's nonce is known now: no refusal, no asking
    starts = [r.get_json()["nonce"] for r in sent(httpserver, "/api/services/compute", "POST")]
    assert starts[1] == 10000000000000 and len(sent(httpserver, "/api/services/nonce")) == 1
    assert int(sent(httpserver, "/api/services/compute", "PUT")[0].args["nonce"]) == 10000000000001


def test_a_refused_clock_nonce_on_a_result_is_signed_again_above_the_providers(
        httpserver, clocked, ddo, service, wallet):
    expect_root(httpserver)
    httpserver.expect_ordered_request("/api/services/computeResult").respond_with_json(STALE, status=400)
    expect_nonce(httpserver, wallet.address, "9999999999999")
    httpserver.expect_ordered_request("/api/services/computeResult").respond_with_data(b"result bytes")
    assert clocked.result(ddo, service, JOB_ID, 0, wallet) == b"result bytes"
    assert [r.args["nonce"] for r in sent(httpserver, "/api/services/computeResult")][1] == "10000000000000"
