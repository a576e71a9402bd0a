"""Fault profiles are deterministic; the job state machine and result order are data."""
from __future__ import annotations

import pytest
import requests

from mockprovider import faults
from mockprovider.jobs import TRANSITIONS, can_move, interrupted_status, order_results


def _decisions(profile, seed):
    p = faults.get_profile(profile)
    return ([faults.http_fault(p, seed, route, n) for route in ("computeStatus", "computeStart", "ddo") for n in range(200)],
            [faults.job_fault(p, seed, n) for n in range(50)])


@pytest.mark.parametrize("profile", sorted(faults.PROFILES))
def test_same_seed_same_faults(profile):
    assert _decisions(profile, 7) == _decisions(profile, 7)


def test_flaky_faults_only_where_a_client_may_retry():
    p = faults.get_profile("flaky")
    status = [faults.http_fault(p, 1, "computeStatus", n) for n in range(400)]
    assert any(f.status in (500, 503, 429) for f in status) and any(f.drop for f in status)
    assert all(f.retry_after == 1 for f in status if f.status == 429)
    starts = [faults.http_fault(p, 1, "computeStart", n) for n in range(400)]
    # A start is failed before it runs only with a 429 (which says so, with Retry-After), never dropped.
    assert not any(f.drop for f in starts) and {f.status for f in starts} == {None, 429}
    assert all(f.retry_after == 1 for f in starts if f.status == 429) and 5 < sum(f.status == 429 for f in starts) < 40
    assert 10 < sum(f.drop_after for f in starts) < 80
    # initializeCompute runs (it issues orders) and then, sometimes, its answer is lost.
    quotes = [faults.http_fault(p, 1, "initializeCompute", n) for n in range(400)]
    assert not any(f.status or f.drop for f in quotes) and 5 < sum(f.drop_after for f in quotes) < 40
    assert _decisions("flaky", 1) != _decisions("flaky", 2)


def test_unknown_profile_lists_known_ones():
    with pytest.raises(ValueError, match="unknown fault profile 'bogus'; known: none, flaky"):
        faults.get_profile("bogus")


def test_failing_profile_uses_31_and_32():
    p = faults.get_profile("failing")
    assert {faults.job_fault(p, 0, n).fail_status for n in range(40)} == {31, 32}


def test_state_machine():
    assert can_move(1, 20) and can_move(20, 30) and can_move(30, 40) and can_move(40, 60) and can_move(60, 70)
    assert can_move(1, 31) and can_move(20, 32)
    assert not can_move(70, 40) and not can_move(40, 31) and not can_move(1, 70)
    assert all(not TRANSITIONS[s] for s in (31, 32, 70))
    assert [interrupted_status(s) for s in (1, 20, 30, 40, 60)] == [31, 31, 32, 32, 32]


def test_result_order_is_pod_publishing_order():
    rs = [{"filename": "configure.log", "type": "configrationLog"}, {"filename": "z.txt", "type": "output"},
          {"filename": "algorithm.log", "type": "algorithmLog"}, {"filename": "a.txt", "type": "output"}]
    assert [r["filename"] for r in order_results(rs)] == ["a.txt", "z.txt", "algorithm.log", "configure.log"]


def _observe(url, n=100):
    out = []
    with requests.Session() as s:
        for _ in range(n):
            try:
                r = s.get(url + "/api/services/computeEnvironments", timeout=5)
                out.append(r.status_code)
            except requests.ConnectionError:
                out.append("dropped")
    return out


def test_flaky_server_is_deterministic_over_http():
    from mockprovider import MockOcean

    runs = []
    for _ in range(2):
        with MockOcean(faults="flaky", seed=3) as m:
            runs.append(_observe(m.url))
    assert runs[0] == runs[1]
    assert {429, 500, 503} & set(runs[0]) and "dropped" in runs[0] and 200 in runs[0]


def test_lost_start_answer_still_created_the_job():
    from mockprovider import MockOcean
    from tests.mock.helpers import Consumer

    with MockOcean(faults="flaky", seed=0) as m:
        c = Consumer(m.url)
        iris, stats = m.assets["iris"].did, m.assets["stats"].did
        lost = 0
        for _ in range(40):
            try:
                init = c.http.post(c.s + "/initializeCompute", json={
                    "datasets": [{"documentId": iris, "serviceId": "compute"}],
                    "algorithm": {"documentId": stats, "serviceId": "compute"},
                    "compute": {"env": "ocean-compute-priced", "validUntil": 2**31}, "consumerAddress": c.address}).json()
                nonce = int(c.http.get(c.s + "/nonce", params={"userAddress": c.address}).json()["nonce"]) + 1
            except (requests.ConnectionError, ValueError):
                continue
            body = c.start_body((iris, "compute", init["datasets"][0]["validOrder"]),
                                {"documentId": stats, "serviceId": "compute", "transferTxId": init["algorithm"]["validOrder"]},
                                env="ocean-compute-priced", nonce=nonce)
            try:
                c.start(body)
            except requests.ConnectionError:
                lost += 1
                break
        assert lost == 1
        # reconciliation: the consumer's job list shows the job whose answer was lost
        for _ in range(20):
            try:
                jobs = c.status().json()
                break
            except (requests.ConnectionError, ValueError):
                continue
        assert any(j["agreementId"] == body["dataset"]["transferTxId"] for j in jobs)


def test_missing_result_and_failing_profiles():
    from mockprovider import MockOcean
    from tests.mock.helpers import Consumer

    with MockOcean(faults="missing-result") as m:
        c = Consumer(m.url)
        done = c.wait(c.run(m.assets["iris"].did, m.assets["stats"].did)["jobId"])
        assert done["status"] == 70
        assert c.result(done["jobId"], 0).json() == {"error": "No such index 0 in this compute job"}
        assert c.result(done["jobId"], 1).status_code == 200
    with MockOcean(faults="failing") as m:
        c = Consumer(m.url)
        done = c.wait(c.run(m.assets["iris"].did, m.assets["stats"].did)["jobId"])
        assert done["status"] in (31, 32) and done["dateFinished"]
        assert [r["type"] for r in done["results"]] == ["configrationLog"]
        assert "provisioning made to fail" in c.result(done["jobId"], 0).text


def test_stuck_profile_holds_jobs_in_warming_up():
    from mockprovider import MockOcean
    from tests.mock.helpers import Consumer

    with MockOcean(faults="stuck") as m:
        c = Consumer(m.url)
        job = c.run(m.assets["iris"].did, m.assets["stats"].did)
        assert c.status(job["jobId"]).json()[0]["status"] == 1  # held for 3 s
        c.signed_job_call("PUT", job["jobId"], m.assets["iris"].did)
        done = c.wait(job["jobId"])
        assert done["status"] == 70 and done["stopreq"] == 1
