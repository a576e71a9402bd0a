"""Quick variant of bench/bench_mock_load.py: concurrent clients, no errors, no lost responses.

No timing assertions: the figures are the bench's business.
"""
from __future__ import annotations

import importlib.util
import pathlib
import sys

from mockprovider import MockOcean

BENCH = pathlib.Path(__file__).resolve().parents[2] / "bench" / "bench_mock_load.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_mock_load", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_concurrent_status_and_results_lose_nothing():
    bench = _bench()
    with MockOcean() as mock:
        report = bench.run_load(mock.url, clients=20, seconds=1.5, max_requests=300)
        assert mock.errors == []
    assert report.sent > 0
    assert report.errors == []
    assert report.lost == 0 and report.answered == report.sent
