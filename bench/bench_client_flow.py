"""Requests and wall time of one full compute flow with the c2d-runner client against the mock.

Flow (the one ocean.py's c2d README runs): free environment, initializeCompute, start (with the
DDO fetch and fileinfo consumability check ocean.py also makes), status polls until the job is
finished, one result, the output logs, stop.

Beside it, measured live against the same mock (not quoted from a document):
  - ocean.py (ocean-lib 3.1.2, bench/reference/oceanpy_flow.py) running the same flow, in the
    Python 3.10 virtualenv the test suite caches (tests/mock/test_oceanpy_client.py makes it);
  - ocean.js (8.6.2, bench/reference/oceanjs_flow.mjs) running one free job on the mock's Ocean
    Node protocol, from the npm project the test suite caches (tests/mock/test_oceanjs_client.py);
  - the runner's requests per job amortised over a 50-job sweep, on each protocol it speaks.
A reference client that is not installed is reported as such, never replaced by a constant.

    python bench/bench_client_flow.py [--runs 5] [--sweep 50]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "c2d-runner"
OCEAN_PY = CACHE / "oceanlib-3.1.2-py3.10"
OCEAN_JS = CACHE / "oceanjs-8.6.2"
# OUTPUTS on a Provider's operator (v1); /data/outputs on an Ocean Node (v2).
TRIVIAL = "import os\nopen(os.path.join(os.environ.get('OUTPUTS', '/data/outputs'), 'ok.txt'), 'w').write('ok')\n"


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
        if final.status != 70:
            raise SystemExit(f"job ended with status {final.describe()}: {final}")
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


def _reference_run(mock, cmd: list[str], cwd: Path | None = None) -> tuple[int, int]:
    """Run a reference client's one-job flow; (requests the mock served, status polls it made)."""
    before = mock.request_count
    run = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    if run.returncode:
        raise SystemExit(f"{cmd[1]} failed:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    return mock.request_count - before, int(re.search(r"POLLS (\d+)", run.stdout).group(1))


def oceanpy_requests(mock, runs: int, poll: float) -> tuple[list[int], list[int]] | str:
    """ocean.py's requests and polls for one job per run, or why it cannot be measured here."""
    from c2d_runner import wire

    python = OCEAN_PY / "bin" / "python"
    if not ((OCEAN_PY / ".c2d-ready").exists() and python.exists()):
        return f"not installed ({OCEAN_PY}; tests/mock/test_oceanpy_client.py makes it)"
    cmd = [str(python), str(HERE / "reference" / "oceanpy_flow.py"), mock.url, wire.TEST_CONSUMER_KEY,
           mock.assets["iris"].did, mock.assets["stats"].did, str(poll)]
    results = [_reference_run(mock, cmd) for _ in range(runs)]
    return [r[0] for r in results], [r[1] for r in results]


def oceanjs_requests(runs: int, poll: float) -> tuple[list[int], list[int]] | str:
    """ocean.js's requests and polls for one free job on the node protocol, or why not measured."""
    from c2d_runner import wire
    from mockprovider import MockOcean

    if shutil.which("node") is None or not (OCEAN_JS / "node_modules" / "@oceanprotocol" / "lib").is_dir():
        return f"not installed (node and {OCEAN_JS}; tests/mock/test_oceanjs_client.py makes it)"
    shutil.copy(HERE / "reference" / "oceanjs_flow.mjs", OCEAN_JS / "oceanjs_flow.mjs")  # ESM resolves from there
    with MockOcean(protocol="ocean-node") as mock:
        cmd = ["node", "oceanjs_flow.mjs", mock.url, wire.TEST_CONSUMER_KEY, mock.assets["iris"].did,
               str(int(poll * 1000))]
        results = [_reference_run(mock, cmd, cwd=OCEAN_JS) for _ in range(runs)]
    return [r[0] for r in results], [r[1] for r in results]


# The same job with a line on stdout, so its algorithm.log is not empty (an empty log costs no request).
PRINTING = "print('hello from the sweep')\n" + TRIVIAL


def sweep_requests(jobs: int, protocol: str, code: str = TRIVIAL) -> tuple[float, dict[str, float]] | str:
    """Requests per job the runner makes in a `jobs`-job sweep (one spec, --jobs 4) on `protocol`,
    and per job by the mock's route name; or why it was not measured."""
    from c2d_runner import wire
    from c2d_runner.connect import Endpoint, run_spec
    from c2d_runner.engine.runner import RunOptions
    from c2d_runner.report import ConsoleProgress
    from c2d_runner.spec import load_spec
    from bench_runner import raw_spec
    from mockprovider import MockOcean

    with tempfile.TemporaryDirectory() as tmp, MockOcean(protocol=protocol) as mock:
        endpoint = Endpoint(mock.url, mock.url, mock.chain_id, "bench mock", embedded_mock=True)
        header = ""
        if protocol == "ocean-node":
            # As a remote target, so the node's request budget (25 a minute, for real nodes) can be
            # lifted: the mock has no rate limit, and the figure is requests, not minutes.
            os.environ["C2D_BENCH_KEY"] = wire.TEST_CONSUMER_KEY  # Hardhat dev account #0 (public test key)
            header = (f"target: {{provider: '{mock.url}', protocol: ocean-node, requests_per_minute: 1000000}}\n"
                      "consumer: {key: '${C2D_BENCH_KEY}'}\n")
            endpoint = None
        spec = raw_spec(Path(tmp) / "sweep.yaml", "sweep", jobs, code, header)
        before, routes = mock.request_count, mock.requests_by_route
        try:
            run = run_spec(load_spec(spec), RunOptions(jobs=4, out=Path(tmp) / "runs"),
                           ConsoleProgress(mode="quiet", stream=open(os.devnull, "w")), endpoint=endpoint)
        except Exception as exc:  # a protocol the runner does not speak yet
            return f"not measured ({type(exc).__name__}: {str(exc)[:120]})"
        if not run.ok:
            return f"not measured ({sum(j.outcome != 'passed' for j in run.jobs)} of {jobs} jobs did not pass; " \
                   f"{'; '.join(run.problems)[:160]})"
        after = mock.requests_by_route
        by_route = {name: (n - routes.get(name, 0)) / jobs for name, n in after.items() if n > routes.get(name, 0)}
        return (mock.request_count - before) / jobs, by_route


def describe_sweep(measured: tuple[float, dict[str, float]] | str) -> str:
    """'4.76 (computeStart 1.00, ...)', the routes that cost at least 0.1 a job, the rest summed."""
    if isinstance(measured, str):
        return measured
    per_job, by_route = measured
    big = sorted(((n, name) for name, n in by_route.items() if n >= 0.1), reverse=True)
    rest = per_job - sum(n for n, _ in big)
    parts = [f"{name} {n:.2f}" for n, name in big] + ([f"other {rest:.2f}"] if rest > 0.005 else [])
    return f"{per_job:.2f} ({', '.join(parts)})"


def _show(name: str, measured, ours: float) -> None:
    if isinstance(measured, str):
        print(f"  {name:<44} {measured}")
        return
    counts, polls = measured
    n = statistics.median(counts)
    print(f"  {name:<44} {n:5g} requests (polls {statistics.median(polls):g}); "
          f"{n / ours:.1f}x the runner's one-job flow")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sweep", type=int, default=50, help="jobs in the sweep (requests per job amortised)")
    parser.add_argument("--poll", type=float, default=0.1,
                        help="seconds the reference clients sleep between status polls (they have no wait of their own)")
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
        oceanpy = oceanpy_requests(mock, args.runs, args.poll)
    oceanjs = oceanjs_requests(args.runs, args.poll)
    sweeps = {protocol: sweep_requests(args.sweep, protocol) for protocol in ("provider", "ocean-node")}
    times = [r[0] for r in results]
    counts = [r[1] for r in results]
    polls = [r[3] for r in results]
    median_count = statistics.median(counts)
    print(f"c2d-runner client, full compute flow against the mock ({args.runs} runs after a warm-up)")
    print(f"  wall time   median {statistics.median(times) * 1000:.1f} ms "
          f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")
    print(f"  requests    median {median_count:g} (min {min(counts)}, max {max(counts)}); "
          f"status polls median {statistics.median(polls):g}")
    print("one job, measured live against the same mock:")
    _show("ocean.py 3.1.2 (Provider, the same flow)", oceanpy, median_count)
    _show("ocean.js 8.6.2 (Ocean Node, one free job)", oceanjs, median_count)
    print(f"requests per job in a {args.sweep}-job sweep (c2d run, --jobs 4):")
    for protocol, measured in sweeps.items():
        print(f"  {protocol:<12} {describe_sweep(measured)}")
    print("  requests of the last run by endpoint:")
    for endpoint, n in sorted(results[-1][2].items(), key=lambda kv: (-kv[1], kv[0])):
        if n:
            print(f"    {n:3d}  {endpoint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
