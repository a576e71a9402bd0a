"""Benchmark: `c2d validate` on a 10,000-job spec, and `c2d --help` start-up, as cold processes.

Prints medians over several runs, the fast path's gain over the exact loader, and which heavy
packages `c2d --help` imports (it must import none of web3, eth_account, requests).
Run: python bench/bench_validate.py [--runs N]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DS = "did:op:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a737945a1414ffa93e"
AL = "did:op:06021804ada2eff0cbd121bc1a4074fef2ac069a86a27a81e68019358a1c5c92"
HEAVY = ("web3", "eth_account", "requests", "werkzeug", "mockprovider")


def big_spec(jobs: int) -> str:
    lines = ["version: 1", "name: big", "defaults: {environment: free, timeout: 5m}", "jobs:"]
    for i in range(jobs):
        lines += [f"  job{i:05d}:", f"    dataset: {{did: \"{DS}\"}}", f"    algorithm: {{did: \"{AL}\"}}",
                  f"    algocustomdata: {{seed: {i}, label: 'run {i}'}}",
                  "    expect: {status: finished, outputs: [{name: result.json}]}"]
    return "\n".join(lines) + "\n"


def timed(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=10_000)
    args = parser.parse_args()
    c2d = [sys.executable, "-m", "c2d_runner.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "big.yaml"
        spec.write_text(big_spec(args.jobs))
        size = spec.stat().st_size
        validate = timed(c2d + ["validate", str(spec)], args.runs)
        exact_code = ("import sys; from c2d_runner.yamldoc import fastpath; fastpath.FAST_PATH_MIN_BYTES = 1 << 40;"
                      "from c2d_runner.cli import main; sys.argv = ['c2d', 'validate', sys.argv[1]]; main()")
        exact = timed([sys.executable, "-c", exact_code, str(spec)], max(1, args.runs // 2))
        baseline = timed([sys.executable, "-c", "pass"], args.runs)
        help_time = timed(c2d + ["--help"], args.runs)
    probe = ("import sys; from c2d_runner.cli import main;\ntry: main(['--help'])\nexcept SystemExit: pass\n"
             f"print([m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)")
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stderr.strip()
    print(f"spec: {args.jobs:,} jobs, {size / 1e6:.1f} MB; medians of {args.runs} cold runs")
    print(f"c2d validate (fast path)     : {validate * 1000:7.0f} ms")
    print(f"c2d validate (exact loader)  : {exact * 1000:7.0f} ms   (fast path is {exact / validate:.1f}x faster)")
    print(f"python -c pass (interpreter) : {baseline * 1000:7.0f} ms")
    print(f"c2d --help                   : {help_time * 1000:7.0f} ms   ({help_time / baseline:.1f}x a bare interpreter)")
    print(f"heavy packages imported by --help: {imported}")


if __name__ == "__main__":
    main()
