"""Aquarius: exact requests and the real answer shapes (DDO, 404 text, ES hits, errors)."""
from __future__ import annotations

import pytest

from c2d_runner.ocean import Aquarius, AquariusError, DDONotFound, OceanCompute, UnsupportedDDO
from c2d_runner.ocean.http import HttpClient, RetryPolicy

from .conftest import DATASET_DID, dataset_ddo, fixture_json, sent


@pytest.fixture
def aquarius(provider_url, sleeps):
    return Aquarius(provider_url, http=HttpClient(retry=RetryPolicy(retries=2), sleep=sleeps.append), sleep=sleeps.append)


def test_get_ddo(httpserver, aquarius, provider_url):
    httpserver.expect_ordered_request(f"/api/aquarius/assets/ddo/{DATASET_DID}", method="GET").respond_with_json(
        dataset_ddo(provider_url)
    )
    ddo = aquarius.get_ddo(DATASET_DID)
    assert ddo.did == DATASET_DID and ddo.get_service_by_id("compute").service_endpoint == provider_url


def test_unknown_did_is_none_for_get_ddo_and_ddonotfound_for_resolve(httpserver, aquarius):
    message = f"Asset DID {DATASET_DID} not found in Elasticsearch."
    for _ in range(2):
        httpserver.expect_ordered_request(f"/api/aquarius/assets/ddo/{DATASET_DID}").respond_with_json(
            {"error": message}, status=404)
    assert aquarius.get_ddo(DATASET_DID) is None
    with pytest.raises(DDONotFound, match=r"Aquarius error, HTTP 404 .*not found in Elasticsearch"):
        aquarius.resolve(DATASET_DID)


def test_server_errors_are_retried_then_raised(httpserver, aquarius, sleeps):
    for _ in range(3):
        httpserver.expect_ordered_request(f"/api/aquarius/assets/ddo/{DATASET_DID}").respond_with_data(
            "Internal Server Error", status=500)
    with pytest.raises(AquariusError, match=r"HTTP 500 .*Internal Server Error") as info:
        aquarius.get_ddo(DATASET_DID)
    assert not isinstance(info.value, DDONotFound) and len(sleeps) == 2


def test_legacy_ddo_from_aquarius_is_refused(httpserver, aquarius):
    httpserver.expect_ordered_request(f"/api/aquarius/assets/ddo/{DATASET_DID}").respond_with_json(
        fixture_json("ocean.py--ddo_algorithm.json"))
    with pytest.raises(UnsupportedDDO, match="legacy v3"):
        aquarius.get_ddo(DATASET_DID)


def test_wait_for_ddo_polls_until_indexed(httpserver, aquarius, provider_url, sleeps):
    for _ in range(2):
        httpserver.expect_ordered_request(f"/api/aquarius/assets/ddo/{DATASET_DID}").respond_with_json(
            {"error": "not found"}, status=404)
    httpserver.expect_ordered_request(f"/api/aquarius/assets/ddo/{DATASET_DID}").respond_with_json(dataset_ddo(provider_url))
    assert aquarius.wait_for_ddo(DATASET_DID, timeout=30).did == DATASET_DID
    assert sleeps == [0.2, 0.2]


def test_wait_for_ddo_gives_none_after_timeout(httpserver, provider_url):
    clock = {"t": 0.0}
    aq = Aquarius(provider_url, sleep=lambda s: clock.__setitem__("t", clock["t"] + s), clock=lambda: clock["t"])
    httpserver.expect_request(f"/api/aquarius/assets/ddo/{DATASET_DID}").respond_with_json({"error": "x"}, status=404)
    assert aq.wait_for_ddo(DATASET_DID, timeout=1) is None
    assert 5 <= len(sent(httpserver, f"/api/aquarius/assets/ddo/{DATASET_DID}")) <= 7


def test_query_search_returns_es_hits(httpserver, aquarius, provider_url):
    query = {"query": {"term": {"metadata.type": "algorithm"}}, "from": 0, "size": 10}
    hits = [{"_index": "aquarius", "_id": DATASET_DID, "_score": 1.0, "_source": dataset_ddo(provider_url)},
            {"_index": "aquarius", "_id": "bad", "_score": 1.0, "_source": {"id": "did:op:v3", "service": []}}]
    answer = {"took": 1, "timed_out": False, "_shards": {}, "hits": {"total": {"value": 2, "relation": "eq"},
                                                                     "max_score": 1.0, "hits": hits}}
    for _ in range(2):
        httpserver.expect_ordered_request("/api/aquarius/assets/query", method="POST", json=query).respond_with_json(answer)
    assert aquarius.query_search(query) == hits
    assert [d.did for d in aquarius.search_ddos(query)] == [DATASET_DID]  # the legacy hit is skipped


def test_query_search_errors(httpserver, aquarius):
    httpserver.expect_ordered_request("/api/aquarius/assets/query", method="POST").respond_with_json(
        {"error": "Invalid payload. The request could not be converted to a dict."}, status=400)
    with pytest.raises(AquariusError, match=r"HTTP 400 .*Invalid payload"):
        aquarius.query_search({"bad": 1})


def test_get_instance_is_shared_and_accepts_assets_url(provider_url):
    assert Aquarius.get_instance(provider_url) is Aquarius.get_instance(provider_url + "/")
    assert Aquarius(provider_url + "/api/aquarius/assets").base_url == provider_url
    with pytest.raises(AquariusError, match="must be http"):
        Aquarius("aquarius:5000")


def test_ocean_compute_counts_aquarius_requests(httpserver, provider_url):
    oc = OceanCompute({"METADATA_CACHE_URI": provider_url})
    httpserver.expect_ordered_request(f"/api/aquarius/assets/ddo/{DATASET_DID}").respond_with_json(dataset_ddo(provider_url))
    oc.aquarius.resolve(DATASET_DID)
    assert oc.request_count == 1
