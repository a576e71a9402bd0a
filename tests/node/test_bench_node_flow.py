"""Quick variant of bench/bench_node_flow.py on the mock's node flavour: it runs and reports.

No timing assertions: the figures are the bench's business.
"""
from __future__ import annotations

import pathlib
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parents[2] / "bench" / "bench_node_flow.py"


def test_the_node_bench_runs_on_the_mock():
    done = subprocess.run([sys.executable, str(BENCH), "--jobs", "2"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "[mock node] one free job:" in done.stdout and "ocean.js 8.x for the same calls" in done.stdout
    assert "[mock node] 2 concurrent jobs: 2/2 succeeded" in done.stdout and "0 answered 429" in done.stdout
