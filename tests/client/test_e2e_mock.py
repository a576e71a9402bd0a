"""The client end to end against the bundled mock Ocean (real HTTP on loopback, real algorithms):
start -> wait -> result -> logs -> stop, for a published and for a raw algorithm, with extra
datasets and custom data checked from the algorithm's own outputs."""
from __future__ import annotations

import hashlib
import json
import textwrap
import time

import pytest

from c2d_runner import wire
from c2d_runner.ocean import (
    AlgorithmMetadata,
    AssetNotConsumable,
    ComputeInput,
    InvalidComputeRequest,
    OceanCompute,
    ProviderError,
)

try:
    from mockprovider import MockOcean
except ImportError:  # the mock is built in parallel; these tests wait for it
    MockOcean = None

pytestmark = pytest.mark.skipif(MockOcean is None, reason="mockprovider.MockOcean does not exist yet")


@pytest.fixture(scope="module")
def mock():
    with MockOcean() as ocean:
        yield ocean
        assert ocean.errors == [], f"the mock crashed in a thread: {ocean.errors}"


@pytest.fixture
def oc(mock):
    client = OceanCompute({"METADATA_CACHE_URI": mock.url, "CHAIN_ID": mock.chain_id})
    yield client
    client.close()


@pytest.fixture
def wallet():
    """Hardhat dev account #0, the mock's well-known test consumer."""
    from eth_account import Account

    return Account.from_key(wire.TEST_CONSUMER_KEY)


def _asset(oc, mock, name):
    ddo = oc.aquarius.resolve(mock.assets[name].did)
    assert ddo.did_is_valid  # the mock derives DIDs with the real rule
    return ddo


def test_published_algorithm_full_flow(oc, mock, wallet, tmp_path):
    iris, corpus, stats = (_asset(oc, mock, n) for n in ("iris", "corpus", "stats"))
    service = iris.get_service_by_id("compute")
    assert service.service_endpoint == mock.url.rstrip("/")
    env = oc.get_free_c2d_environment(service.service_endpoint, mock.chain_id)
    assert env.id == "ocean-compute" and env.is_free

    job_id = oc.start(
        wallet,
        ComputeInput(iris, "compute"),
        env.id,
        algorithm=ComputeInput(stats, stats.get_service_by_type("compute") or stats.services[0]),
        algorithm_algocustomdata={"precision": 1, "columns": ["sepal_length"]},
        additional_datasets=[ComputeInput(corpus, "compute")],
    )
    seen = []
    final = oc.wait(iris, service, job_id, wallet, timeout=120, on_status=lambda s: seen.append(s.status))
    assert final.status == 70 and final.succeeded and final.terminal and final.ok, final
    assert seen[-1] == 70 and seen == sorted(seen)
    job = oc.status(iris, service, job_id, wallet)  # ocean.py's answer: the provider's object with ok
    assert job["inputDID"] == [iris.did, corpus.did] and job["algoDID"] == stats.did and job["ok"]

    names = [r.filename for r in final.results]
    assert names == [r["filename"] for r in job["results"]] and [r.index for r in final.results] == list(range(len(names)))
    index = names.index("stats.json")
    raw = oc.result(iris, service, job_id, index, wallet)
    report = json.loads(raw)
    # Custom data reached the algorithm: precision 1 and only the asked column.
    assert report["precision"] == 1
    iris_stats = report["datasets"][wire.did_hex(iris.did)]["0"]
    assert list(iris_stats["columns"]) == ["sepal_length"]
    assert iris_stats["rows"] == 150
    # The additional dataset reached it too.
    assert wire.did_hex(corpus.did) in report["datasets"]

    outputs = oc.compute_job_result_logs(iris, service, job_id, wallet)
    assert outputs == [raw]
    (log,) = oc.compute_job_result_logs(iris, service, job_id, wallet, log_type="algorithmLog")
    assert b"stats: done" in log

    filename, size, digest = oc.download_result(iris, service, job_id, index, wallet, tmp_path)
    assert (filename, size, digest) == ("stats.json", len(raw), hashlib.sha256(raw).hexdigest())
    assert (tmp_path / "stats.json").read_bytes() == raw

    assert any(j.job_id == job_id for j in oc.jobs(service.service_endpoint, wallet))
    stopped = oc.stop(iris, service, job_id, wallet)  # already finished: the provider just answers
    assert stopped["jobId"] == job_id and stopped["status"] == 70
    assert oc.delete(iris, service, job_id, wallet)["ok"]


RAW_ALGORITHM = textwrap.dedent(
    """
    import json, os
    inputs = os.environ["INPUTS"]
    dids = json.loads(os.environ["DIDS"])
    with open(os.path.join(inputs, "algoCustomData.json")) as fh:
        custom = json.load(fh)
    files = {d: sorted(os.listdir(os.path.join(inputs, d))) for d in dids}
    os.makedirs(os.environ["OUTPUTS"], exist_ok=True)
    with open(os.path.join(os.environ["OUTPUTS"], "seen.json"), "w") as fh:
        json.dump({"dids": dids, "custom": custom, "files": files}, fh)
    print("raw: saw", len(dids), "datasets")
    """
)


def _raw(code: str) -> AlgorithmMetadata:
    return AlgorithmMetadata({
        "rawcode": code, "language": "python", "version": "3.11",
        "container": {"entrypoint": "python $ALGO", "image": "python", "tag": "3.11",
                      "checksum": "sha256:7aedbd46227f79061004c72d031d792f262a3f5a710a5b60b663c81b89bcb8de"},
    })


def test_raw_algorithm_full_flow(oc, mock, wallet):
    iris, corpus = _asset(oc, mock, "iris"), _asset(oc, mock, "corpus")
    service = iris.get_service_by_id("compute")
    job_id = oc.start(
        wallet, ComputeInput(iris, "compute"), "ocean-compute",
        algorithm_meta=_raw(RAW_ALGORITHM), algorithm_algocustomdata={"threshold": 0.5, "label": "x"},
        additional_datasets=[ComputeInput(corpus, "compute")],
    )
    final = oc.wait(iris, service, job_id, wallet, timeout=120)
    assert final.status == 70 and final.ok and oc.status(iris, service, job_id, wallet)["algoDID"] == "raw"
    (seen,) = oc.compute_job_result_logs(iris, service, job_id, wallet)
    seen = json.loads(seen)
    assert seen["dids"] == [wire.did_hex(iris.did), wire.did_hex(corpus.did)]
    assert seen["custom"] == {"threshold": 0.5, "label": "x"}
    assert seen["files"][wire.did_hex(corpus.did)] == ["0", "1"]
    (log,) = oc.compute_job_result_logs(iris, service, job_id, wallet, log_type="algorithmLog")
    assert b"raw: saw 2 datasets" in log
    assert oc.stop(iris, service, job_id, wallet)["ok"]


def test_stop_a_running_job(oc, mock, wallet):
    iris = _asset(oc, mock, "iris")
    service = iris.get_service_by_id("compute")
    sleeper = "import time\nprint('sleeping', flush=True)\nfor _ in range(600):\n    time.sleep(0.1)\n"
    job_id = oc.start(wallet, ComputeInput(iris, "compute"), "ocean-compute", algorithm_meta=_raw(sleeper))
    # Wait until the algorithm runs (40), then stop it.
    for _ in range(500):
        if oc.status(iris, service, job_id, wallet)["status"] >= 40:
            break
        time.sleep(0.01)
    stopped = oc.stop(iris, service, job_id, wallet)
    assert stopped["jobId"] == job_id and stopped["stopreq"] == 1
    final = oc.wait(iris, service, job_id, wallet, timeout=60)
    assert final.status in wire.TERMINAL_STATUSES and final.stop_requested == 1


def test_failing_algorithm_reaches_a_terminal_status_with_its_log(oc, mock, wallet):
    iris, fail = _asset(oc, mock, "iris"), _asset(oc, mock, "fail")
    service = iris.get_service_by_id("compute")
    job_id = oc.start(wallet, ComputeInput(iris, "compute"), "ocean-compute",
                      algorithm=ComputeInput(fail, fail.services[0]))
    final = oc.wait(iris, service, job_id, wallet, timeout=60)
    assert final.terminal and final.status in wire.TERMINAL_STATUSES  # a failing algorithm still ends at 70
    logs = oc.compute_job_result_logs(iris, service, job_id, wallet, log_type="algorithmLog")
    assert logs and b"about to fail on purpose" in logs[0]


def test_credentials_make_an_asset_not_consumable(oc, mock, wallet):
    private = _asset(oc, mock, "private")
    with pytest.raises(AssetNotConsumable, match=r"code 3, consumer address is not in the asset's allow list") as info:
        oc.start(wallet, ComputeInput(private, "compute"), "ocean-compute",
                 algorithm=ComputeInput(_asset(oc, mock, "stats"), _asset(oc, mock, "stats").services[0]))
    assert info.value.consumable_code == 3


def test_access_service_is_refused_for_compute(oc, mock, wallet):
    corpus = _asset(oc, mock, "corpus")
    with pytest.raises(InvalidComputeRequest, match="must use a compute service"):
        oc.start(wallet, ComputeInput(corpus, "access"), "ocean-compute", algorithm_meta=_raw("print(1)"))


def test_reused_order_is_refused_by_the_mock_like_the_provider(oc, mock, wallet):
    iris = _asset(oc, mock, "iris")
    meta = _raw("print('x')")
    init = oc.initialize(wallet, ComputeInput(iris, "compute"), "ocean-compute", algorithm_meta=meta)
    assert init.datasets[0].reusable
    dataset = ComputeInput(iris, "compute", transfer_tx_id=init.datasets[0].valid_order)
    # A wrong environment for this order: the provider says order_invalid.
    with pytest.raises(ProviderError) as info:
        oc.start_job(wallet, dataset, "ocean-compute-priced", algorithm_meta=meta)
    assert info.value.status == 400
    assert oc.start_job(wallet, dataset, "ocean-compute", algorithm_meta=meta)


def test_unknown_job_and_unknown_result_index(oc, mock, wallet):
    iris = _asset(oc, mock, "iris")
    service = iris.get_service_by_id("compute")
    with pytest.raises(ProviderError):
        oc.status(iris, service, "0" * 32, wallet)
    job_id = oc.start(wallet, ComputeInput(iris, "compute"), "ocean-compute", algorithm_meta=_raw("print(1)"))
    oc.wait(iris, service, job_id, wallet, timeout=60)
    with pytest.raises(ProviderError, match=r"HTTP 404 .*No such index 99") as info:
        oc.result(iris, service, job_id, 99, wallet)
    assert info.value.status == 404


def test_concurrent_starts_from_threads_never_reuse_a_nonce(oc, mock, wallet):
    from concurrent.futures import ThreadPoolExecutor

    iris = _asset(oc, mock, "iris")
    service = iris.get_service_by_id("compute")

    def run(i):
        job_id = oc.start(wallet, ComputeInput(iris, "compute"), "ocean-compute",
                          algorithm_meta=_raw(f"print({i})"), algorithm_algocustomdata={"i": i})
        return oc.wait(iris, service, job_id, wallet, timeout=120)

    with ThreadPoolExecutor(max_workers=4) as pool:
        finals = list(pool.map(run, range(4)))
    assert [f.status for f in finals] == [70] * 4
    assert len({f.job_id for f in finals}) == 4


def _new_job(oc, service, wallet, known):
    """The job this consumer started that is not in `known` (reconciling a lost start answer)."""
    fresh = [j for j in oc.jobs(service.service_endpoint, wallet) if j.job_id not in known]
    assert len(fresh) == 1, fresh
    return fresh[0].job_id


def test_flaky_provider_retries_idempotent_calls_and_reconciles_lost_starts(wallet):
    with MockOcean(faults="flaky", seed=7) as mock:
        oc = OceanCompute({"METADATA_CACHE_URI": mock.url, "CHAIN_ID": mock.chain_id, "RETRIES": 6,
                           "RETRY_AFTER_MAX": 0.05, "RETRY_BACKOFF": 0.01})
        iris = _asset(oc, mock, "iris")
        service = iris.get_service_by_id("compute")
        lost = 0
        for i in range(6):
            known = {j.job_id for j in oc.jobs(service.service_endpoint, wallet)}
            try:
                job_id = oc.start(wallet, ComputeInput(iris, "compute"), "ocean-compute",
                                  algorithm_meta=_raw(f"print('run {i}')"))
            except ProviderError as exc:
                assert exc.uncertain, exc  # only a lost answer may fail a start here
                lost += 1
                job_id = _new_job(oc, service, wallet, known)
            final = oc.wait(iris, service, job_id, wallet, timeout=120)
            assert final.status == 70
            (log,) = oc.compute_job_result_logs(iris, service, job_id, wallet, log_type="algorithmLog")
            assert f"run {i}".encode() in log
        assert mock.errors == []
        assert oc.request_count > 0


def test_failing_jobs_end_with_ok_false(wallet):
    with MockOcean(faults="failing") as mock:
        oc = OceanCompute({"METADATA_CACHE_URI": mock.url, "CHAIN_ID": mock.chain_id})
        iris = _asset(oc, mock, "iris")
        service = iris.get_service_by_id("compute")
        job_id = oc.start(wallet, ComputeInput(iris, "compute"), "ocean-compute", algorithm_meta=_raw("print(1)"))
        final = oc.wait(iris, service, job_id, wallet, timeout=60)
        assert final.status in (31, 32) and final.ok is False and final.terminal


def test_stuck_job_times_out_with_its_last_status(wallet):
    from c2d_runner.ocean import ComputeTimeout

    with MockOcean(faults="stuck") as mock:
        oc = OceanCompute({"METADATA_CACHE_URI": mock.url, "CHAIN_ID": mock.chain_id})
        iris = _asset(oc, mock, "iris")
        service = iris.get_service_by_id("compute")
        job_id = oc.start(wallet, ComputeInput(iris, "compute"), "ocean-compute", algorithm_meta=_raw("print(1)"))
        with pytest.raises(ComputeTimeout, match=r"last status 1 \(Warming up\)") as info:
            oc.wait(iris, service, job_id, wallet, timeout=0.3)
        assert info.value.last_status.status == 1
        oc.stop(iris, service, job_id, wallet)
