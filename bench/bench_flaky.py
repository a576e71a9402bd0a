"""Benchmark a flaky network: 50 jobs at --jobs 8 behind the seeded fault proxy vs behind a fault-free one.

The proxy (tests/faultproxy.py) sits between `c2d run` and one `c2d mock serve`: 15 % of requests
answered 503 without forwarding, 5 % 429 with Retry-After: 1, 10 % delayed 50-300 ms, 5 % forwarded
and their answer dropped, on every route.  The fault-free run goes through the same proxy with no
faults, so the two differ only by the faults.  Prints, per setting, the median wall time over
--runs runs, jobs passed, starts counted at the mock, requests seen by the proxy and faults applied.
Run: python bench/bench_flaky.py [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from c2d_runner.wire import TEST_CONSUMER_KEY  # noqa: E402
from tests.faultproxy import NO_FAULTS, FaultProxy, FaultRates  # noqa: E402
from tests.mock.helpers import served_mock  # noqa: E402

WORLD = ROOT / "mockprovider" / "worlds" / "default"
IRIS = "did:op:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a737945a1414ffa93e"
C2D = [sys.executable, "-m", "c2d_runner.cli"]
JOBS = 50
ECHO = """
import json, os
custom = json.load(open(os.path.join(os.environ["INPUTS"], "algoCustomData.json")))
open(os.path.join(os.environ["OUTPUTS"], "echo.json"), "w").write(json.dumps(custom))
"""


def spec(folder: Path, url: str) -> Path:
    code = "".join(f"            {line}\n" for line in ECHO.strip().splitlines())
    path = folder / "flaky.yaml"
    path.write_text(
        f"version: 1\nname: flaky\ntarget: {{provider: '{url}', chain_id: 8996}}\n"
        "consumer: {key: '${C2D_PRIVATE_KEY}'}\njobs:\n  echo:\n"
        f"    dataset: {{did: \"{IRIS}\"}}\n    algorithm:\n      raw:\n        code: |\n{code}"
        "        container: {entrypoint: python $ALGO, image: python, tag: '3.11', checksum: 'sha256:"
        + "0" * 64 + "'}\n"
        "    algocustomdata: {n: 0}\n    matrix:\n      algocustomdata.n: ["
        + ", ".join(map(str, range(JOBS))) + "]\n    expect: {outputs: [{name: echo.json}]}\n")
    return path


def starts_at(url: str) -> int:
    from c2d_runner.ocean import OceanCompute
    from c2d_runner.ocean.wallet import wallet_from_key

    with OceanCompute({"METADATA_CACHE_URI": url}) as compute:
        return len(compute.jobs(url, wallet_from_key(TEST_CONSUMER_KEY)))


def one_run(rates: FaultRates, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-flaky-") as tmp:
        folder = Path(tmp)
        with served_mock(folder / "mock-state", WORLD / "world.yaml") as (url, _):
            with FaultProxy(url, seed=seed, rates=rates) as proxy:
                began = time.perf_counter()
                done = subprocess.run(C2D + ["run", str(spec(folder, proxy.url)), "--jobs", "8", "-q", "--json",
                                             "r.json"], cwd=folder, capture_output=True, text=True,
                                      env={**os.environ, "C2D_PRIVATE_KEY": TEST_CONSUMER_KEY})
                wall = time.perf_counter() - began
                faults = Counter(f for _, f in proxy.log)
            starts = starts_at(url)
        report = json.loads((folder / "r.json").read_text()) if (folder / "r.json").exists() else {}
        return {"wall": wall, "exit": done.returncode, "passed": report.get("summary", {}).get("passed", 0),
                "starts": starts, "requests": sum(faults.values()), "faults": faults}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{JOBS} jobs at --jobs 8 behind the fault proxy; median of {args.runs} runs")
    medians = {}
    for label, rates in (("fault-free", NO_FAULTS), ("flaky", FaultRates())):
        runs = [one_run(rates, seed) for seed in range(args.runs)]
        medians[label] = statistics.median(r["wall"] for r in runs)
        faults = sum((r["faults"] for r in runs), Counter())
        faults.pop("forwarded", None)
        walls = ", ".join(f"{r['wall']:.1f}" for r in runs)
        print(f"  {label:10s} wall {medians[label]:6.1f} s (runs: {walls}); "
              f"passed {[r['passed'] for r in runs]}; starts at the mock {[r['starts'] for r in runs]}; "
              f"exit {[r['exit'] for r in runs]}; requests {[r['requests'] for r in runs]}; "
              f"faults {dict(faults)}")
    print(f"  flaky / fault-free: {medians['flaky'] / medians['fault-free']:.2f}x")


if __name__ == "__main__":
    main()
