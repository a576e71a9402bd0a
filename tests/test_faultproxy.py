"""The test helper tests/faultproxy.py: seeded decisions, and each fault as a client and the mock see it."""
from __future__ import annotations

import pytest
import requests

from mockprovider import MockOcean
from tests.faultproxy import (DELAYED, DROPPED_AFTER, FORWARDED, RATE_LIMITED, UNAVAILABLE, FaultProxy, FaultRates,
                              decide)

ONLY = {fault: FaultRates(**{f: (1.0 if f == fault else 0.0) for f in (UNAVAILABLE, RATE_LIMITED, DELAYED,
                                                                        DROPPED_AFTER)}, delay=(0.0, 0.01))
        for fault in (UNAVAILABLE, RATE_LIMITED, DELAYED, DROPPED_AFTER)}


def test_decisions_depend_only_on_seed_route_and_count():
    rates = FaultRates()
    first = [decide(rates, 3, "POST /api/services/compute", n) for n in range(200)]
    assert first == [decide(rates, 3, "POST /api/services/compute", n) for n in range(200)]
    assert first != [decide(rates, 4, "POST /api/services/compute", n) for n in range(200)]
    assert {f for f, _ in first} == {UNAVAILABLE, RATE_LIMITED, DELAYED, DROPPED_AFTER, FORWARDED}


@pytest.fixture(scope="module")
def mock():
    with MockOcean() as server:
        yield server


def _nonce_calls(mock, url):
    before = mock.request_count
    try:
        response = requests.get(f"{url}/api/services/nonce", params={"userAddress": "0x" + "1" * 40}, timeout=10)
    except requests.ConnectionError:
        response = None
    return response, mock.request_count - before


def test_unavailable_and_rate_limited_never_reach_the_provider(mock):
    with FaultProxy(mock.url, rates=ONLY[UNAVAILABLE]) as proxy:
        response, reached = _nonce_calls(mock, proxy.url)
        assert response.status_code == 503 and reached == 0
    with FaultProxy(mock.url, rates=ONLY[RATE_LIMITED]) as proxy:
        response, reached = _nonce_calls(mock, proxy.url)
        assert response.status_code == 429 and response.headers["Retry-After"] == "1" and reached == 0


def test_dropped_after_reaches_the_provider_and_loses_the_answer(mock):
    with FaultProxy(mock.url, rates=ONLY[DROPPED_AFTER]) as proxy:
        response, reached = _nonce_calls(mock, proxy.url)
        assert response is None and reached == 1
        assert proxy.faults() == {DROPPED_AFTER: 1}


def test_forwarded_answers_point_back_at_the_proxy(mock):
    with FaultProxy(mock.url, rates=ONLY[DELAYED]) as proxy:
        did = next(iter(mock.assets.values())).did
        ddo = requests.get(f"{proxy.url}/api/aquarius/assets/ddo/{did}", timeout=10).json()
        assert {s["serviceEndpoint"] for s in ddo["services"]} == {proxy.url}
        assert proxy.faults("GET /api/aquarius/assets/ddo/" + did) == {DELAYED: 1}
