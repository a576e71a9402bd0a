"""The mock Ocean Node's job lifecycle (10 -> 20 -> 30 -> 40 -> 60 -> 71 -> 70), its endings (exit
codes, stop, timeout, refused images), its trust rule for paid routes, the rate limit, restarts and
the protocol choice in MockOcean / C2DMock / the pytest fixtures."""
from __future__ import annotations

import threading

import pytest
import requests

from c2d_runner.testing import C2DMock
from mockprovider import MockOcean
from mockprovider.executor import Executor
from mockprovider.node.jobview import settled_status
from mockprovider.ratelimit import RateLimiter
from mockprovider.store import Job
from tests.mock.node_helpers import CONSUMER, NodeConsumer, raw_algorithm
from tests.mock.worlds import small_world


class RecordingExecutor:
    """The real executor, with every status it reports recorded (a wrapper, not a stand-in)."""

    def __init__(self) -> None:
        self.inner = Executor()
        self.sandbox_kind, self.sandbox_warning = self.inner.sandbox_kind, self.inner.sandbox_warning
        self.statuses: dict[str, list[int]] = {}
        self.lock = threading.Lock()

    def run(self, request, on_status, stop):
        seen = self.statuses.setdefault(request.job_id.rsplit("/", 1)[-1], [])

        def record(status: int) -> None:
            with self.lock:
                seen.append(status)
            on_status(status)

        return self.inner.run(request, on_status=record, stop=stop)


@pytest.fixture(scope="module")
def recorder() -> RecordingExecutor:
    return RecordingExecutor()


@pytest.fixture(scope="module")
def node(recorder):
    with MockOcean(protocol="ocean-node", settle_seconds=3600, executor=recorder) as server:
        yield server


@pytest.fixture()
def alice(node) -> NodeConsumer:
    return NodeConsumer(node.url, CONSUMER)


def _raw(job_id: str) -> str:
    return job_id.split("-", 1)[1]


def test_a_job_goes_10_20_30_40_60_then_71_with_date_finished(node, recorder, alice):
    r = alice.free_start()
    assert r.json()[0]["status"] == 10
    job_id = r.json()[0]["jobId"]
    job = alice.wait(job_id)
    assert recorder.statuses[_raw(job_id)] == [20, 30, 40, 60]
    assert (job["status"], job["statusText"]) == (71, "Job settling") and job["dateFinished"]
    assert job["terminationDetails"] == {"exitCode": 0, "OOMKilled": False}
    assert float(job["algoStopTimestamp"]) >= float(job["algoStartTimestamp"]) > 0


@pytest.mark.parametrize("code, exit_code", [("import sys\nsys.exit(3)\n", 3), ("raise SystemExit(1)\n", 1)])
def test_a_failing_algorithm_still_ends_at_71_with_its_exit_code(alice, code, exit_code):
    job = alice.wait(alice.started(algorithm=raw_algorithm(code)))
    assert (job["status"], job["terminationDetails"]["exitCode"]) == (71, exit_code)
    assert [r["type"] for r in job["results"]] == ["imageLog", "configurationLog", "algorithmLog", "output"]


def test_a_timeout_ends_at_71_with_137(alice):
    job_id = alice.started(algorithm=raw_algorithm("import time\ntime.sleep(60)\n"), maxJobDuration=1)
    job = alice.wait(job_id)
    assert (job["status"], job["terminationDetails"]["exitCode"], job["maxJobDuration"]) == (71, 137, 1)


def test_a_url_dataset_that_fails_ends_at_31(alice):
    dataset = {"fileObject": {"type": "url", "url": "http://127.0.0.1:9/missing.csv", "method": "get"}}
    job = alice.wait(alice.started(datasets=[dataset]))
    assert job["status"] == 31 and job["statusText"] == "Data provisioning failed" and job["dateFinished"]
    assert job["terminationDetails"]["exitCode"] is None


def test_settling_becomes_finished_after_the_settle_delay(tmp_path):
    with MockOcean(protocol="ocean-node", settle_seconds=0, state_dir=tmp_path / "s") as node:
        alice = NodeConsumer(node.url)
        job = alice.wait(alice.started())
        assert (job["status"], job["statusText"]) == (70, "Job finished")


def test_settled_status_is_pure():
    job = Job("j", 0, "o", "", "e", 71, 0, 0, "100.0", "100.5", "raw", (), (), {})
    assert settled_status(job, 2.0, now=102.4) == 71 and settled_status(job, 2.0, now=102.5) == 70


def test_running_counters_follow_jobs(node, alice):
    job_id = alice.started(algorithm=raw_algorithm("import time\ntime.sleep(30)\n"))
    alice.wait(job_id, until=lambda j: j["status"] == 40)
    free = alice.environments()[0]
    assert free["runningJobs"] >= 1 and free["runningfreeJobs"] >= 1 and free["resources"][0]["inUse"] >= 1
    alice.stop(job_id)
    assert alice.wait(job_id)["terminationDetails"]["exitCode"] == 137


def test_restart_closes_jobs_it_did_not_finish(tmp_path):
    state = tmp_path / "state"
    with MockOcean(protocol="ocean-node", state_dir=state) as node:
        alice = NodeConsumer(node.url)
        job_id = alice.started(algorithm=raw_algorithm("import time\ntime.sleep(60)\n"))
        alice.wait(job_id, until=lambda j: j["status"] == 40)
    with MockOcean(protocol="ocean-node", state_dir=state) as node:
        job = NodeConsumer(node.url).job(job_id)
        assert job["status"] == 41 and job["dateFinished"]


def test_max_jobs_of_the_free_block(tmp_path):
    with MockOcean(world=small_world(tmp_path, maxJobs=1), protocol="ocean-node") as node:
        alice = NodeConsumer(node.url)
        job_id = alice.started(algorithm=raw_algorithm("import time\ntime.sleep(30)\n"))
        r = alice.free_start()
        assert (r.status_code, r.json()) == (400, "Too many running free jobs ")
        alice.stop(job_id)
        alice.wait(job_id)
        assert alice.free_start().status_code == 200


def test_paid_routes_use_the_nodes_deny_by_default_trust(tmp_path):
    # iris with both trust lists empty: denied, though it allows raw algorithms (reference §7).
    world = small_world(tmp_path, compute={"allowRawAlgorithm": True})
    with MockOcean(world=world, protocol="ocean-node") as node:
        alice = NodeConsumer(node.url)
        iris = node.assets["iris"].did
        priced = alice.environments()[1]
        body = {"datasets": [{"documentId": iris, "serviceId": "compute"}], "algorithm": raw_algorithm(),
                "environment": priced["id"], "consumerAddress": CONSUMER.address,
                "payment": {"chainId": 8996, "token": priced["fees"]["8996"][0]["feeToken"]}}
        r = alice.http.post(f"{alice.s}/initializeCompute", json=body)
        assert (r.status_code, r.text) == (400, f"Algorithm None not allowed to run on the dataset: {iris}")
        start = {**alice.signed("startCompute"), "environment": priced["id"], "maxJobDuration": 60,
                 "algorithm": raw_algorithm(), "datasets": body["datasets"]}
        r = alice.http.post(f"{alice.s}/compute", json=start)
        assert (r.status_code, r.json()) == (400, f"Algorithm None not allowed to run on the dataset: {iris}")
        # free compute does not apply the trust rules, as on the node
        assert alice.wait(alice.started(datasets=body["datasets"]))["status"] == 71


def test_rate_limit_answers_429_with_the_wait():
    with MockOcean(protocol="ocean-node", rate_limit=3) as node:
        answers = [requests.get(f"{node.url}/api/services/nonce", params={"userAddress": "x"}) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[-1].headers["Content-Type"] == "text/html; charset=utf-8"
        assert answers[-1].text.startswith("Rate limit exceeded. Try again in ") and answers[-1].text.endswith(" seconds.")
        other = requests.get(f"{node.url}/", headers={"X-Forwarded-For": "10.0.0.2"})
        assert other.status_code == 200  # per IP (the node reads x-forwarded-for first)


def test_rate_limiter_window_is_fixed_per_ip():
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.check("a") is None and limiter.check("a") is None
    now[0] = 17.2
    assert limiter.check("a") == "Rate limit exceeded. Try again in 43 seconds."
    assert limiter.check("b") is None
    now[0] = 60.5
    assert limiter.check("a") is None


@pytest.mark.parametrize("kwargs, message", [
    ({"protocol": "ipfs"}, "unknown protocol 'ipfs'"),
    ({"rate_limit": 5}, "use it with protocol 'ocean-node'"),
    ({"protocol": "ocean-node", "rate_limit": 0}, "at least 1"),
])
def test_protocol_choices_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MockOcean(**kwargs)


def test_c2d_mock_starts_either_protocol():
    with C2DMock.start(protocol="ocean-node") as mock:
        assert mock.protocol == "ocean-node" and mock.environments[0]["free"]
        assert requests.get(mock.url + "/").json()["software"] == "Ocean-Node"


def test_pytest_marker_and_ini_choose_the_protocol(pytester):
    # In a subprocess: an in-process run drops the modules it imported first (pytester restores
    # sys.modules), so later tests in this worker got a second copy of the mock's NodeError.
    pytester.makepyfile("""
        import pytest, requests

        @pytest.mark.c2d_protocol("ocean-node")
        def test_node(c2d_mock):
            assert c2d_mock.protocol == "ocean-node"
            assert requests.get(c2d_mock.url + "/").json()["software"] == "Ocean-Node"

        def test_default(c2d_mock):
            assert c2d_mock.protocol == "provider"
    """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
    pytester.makeini("[pytest]\nc2d_protocol = ocean-node\n")
    pytester.makepyfile(test_ini="def test_ini(c2d_mock):\n    assert c2d_mock.protocol == 'ocean-node'\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "test_ini.py").assert_outcomes(passed=1)


def test_fault_profiles_act_on_the_node_routes_too():
    with MockOcean(protocol="ocean-node", faults="flaky", seed=3) as node:
        answers = [requests.get(f"{node.url}/api/services/computeEnvironments") for _ in range(40)]
        failed = [a for a in answers if a.status_code != 200]
        assert failed and all(a.headers["Content-Type"] == "text/html; charset=utf-8" for a in failed)
        assert all(a.text.startswith("fault injected by profile 'flaky'") for a in failed)


def test_cli_rate_limit_needs_the_node_protocol():
    from click.testing import CliRunner

    from c2d_runner.cli import main

    result = CliRunner().invoke(main, ["mock", "serve", "--port", "0", "--rate-limit", "5"])
    assert result.exit_code == 2 and "--rate-limit is an Ocean Node behaviour" in result.output
    result = CliRunner().invoke(main, ["mock", "serve", "--port", "0", "--protocol", "ipfs"])
    assert result.exit_code == 2 and "'ipfs' is not one of 'provider', 'ocean-node'" in result.output
