"""Requests and wall time of one full compute flow with the c2d-runner client against the mock.

Flow (the one ocean.py's c2d README runs): free environment, initializeCompute, start (with the
DDO fetch and fileinfo consumability check ocean.py also makes), status polls until the job is
finished, one result, the output logs, stop.  ocean-lib 3.1.2 needs about 80 HTTP requests for
it (reference/ocean-py-client.md: 76-85, half of them `GET /` to re-read the root map).

    python bench/bench_client_flow.py [--runs 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

OCEAN_PY_REQUESTS = 80  # midpoint of the 76-85 measured for ocean-lib 3.1.2


def one_flow(mock, wallet) -> tuple[float, int, dict[str, int], int]:
    """Run the flow once with a fresh client; (seconds, requests, per endpoint, status polls)."""
    from c2d_runner import ComputeInput, OceanCompute

    with OceanCompute({"METADATA_CACHE_URI": mock.url, "CHAIN_ID": mock.chain_id}) as oc:
        # The caller already holds the DDOs, as in ocean.py's flow (they come from publishing).
        iris = oc.aquarius.resolve(mock.assets["iris"].did)
        stats = oc.aquarius.resolve(mock.assets["stats"].did)
        service = iris.get_service_by_id("compute")
        dataset = ComputeInput(iris, service)
        algorithm = ComputeInput(stats, stats.services[0])
        base = oc.request_count
        before = oc.requests_by_endpoint
        started = time.perf_counter()
        env = oc.get_free_c2d_environment(service.service_endpoint, mock.chain_id)
        init = oc.initialize(wallet, dataset, env.id, algorithm=algorithm)
        dataset = dataset.with_transfer_tx_id(init.datasets[0].valid_order)
        algorithm = algorithm.with_transfer_tx_id(init.algorithm.valid_order)
        job_id = oc.start(wallet, dataset, env.id, algorithm=algorithm, algorithm_algocustomdata={"precision": 2})
        polls_before = oc.requests_by_endpoint.get("GET /api/services/compute", 0)
        final = oc.wait(iris, service, job_id, wallet, timeout=120)
        polls = oc.requests_by_endpoint.get("GET /api/services/compute", 0) - polls_before
        if final["status"] != 70:
            raise SystemExit(f"job ended with status {final['status']}: {final}")
        oc.result(iris, service, job_id, 0, wallet)
        oc.compute_job_result_logs(iris, service, job_id, wallet)
        oc.stop(iris, service, job_id, wallet)
        seconds = time.perf_counter() - started
        return seconds, oc.request_count - base, _per_endpoint(before, oc.requests_by_endpoint), polls


def _per_endpoint(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Requests of the flow per endpoint, DDO paths folded into one line."""
    out: dict[str, int] = {}
    for key, n in after.items():
        name = "GET /api/aquarius/assets/ddo/<did>" if key.startswith("GET /api/aquarius/assets/ddo/") else key
        out[name] = out.get(name, 0) + n - before.get(key, 0)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    from eth_account import Account

    from c2d_runner import wire
    from mockprovider import MockOcean

    wallet = Account.from_key(wire.TEST_CONSUMER_KEY)  # Hardhat dev account #0 (public test key)
    results = []
    with MockOcean() as mock:
        one_flow(mock, wallet)  # warm-up: imports, first sandbox start
        for _ in range(args.runs):
            results.append(one_flow(mock, wallet))
    times = [r[0] for r in results]
    counts = [r[1] for r in results]
    polls = [r[3] for r in results]
    median_count = statistics.median(counts)
    print(f"c2d-runner client, full compute flow against the mock ({args.runs} runs after a warm-up)")
    print(f"  wall time   median {statistics.median(times) * 1000:.1f} ms "
          f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")
    print(f"  requests    median {median_count:g} (min {min(counts)}, max {max(counts)}); "
          f"status polls median {statistics.median(polls):g}")
    print(f"  ocean.py    ~{OCEAN_PY_REQUESTS} requests for the same flow -> "
          f"ratio {median_count / OCEAN_PY_REQUESTS:.2f} ({OCEAN_PY_REQUESTS / median_count:.1f}x fewer)")
    print("  requests of the last run by endpoint:")
    for endpoint, n in sorted(results[-1][2].items(), key=lambda kv: (-kv[1], kv[0])):
        if n:
            print(f"    {n:3d}  {endpoint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
