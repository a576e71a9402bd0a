"""Shared constants and helpers for the executor tests (a unique module name, unlike conftest)."""
from __future__ import annotations

import json
import sys

import pytest

from mockprovider import sandbox as sb

DATASET_A = "did:op:" + "a" * 64
DATASET_B = "did:op:" + "b" * 64
ALGO_DID = "did:op:" + "c" * 64
PYTHON_MAP = {"python": sys.executable, "python3": sys.executable}

_BWRAP_PROBLEM = sb.probe_bwrap()


def bwrap_available() -> bool:
    """True when bubblewrap works on this machine."""
    return _BWRAP_PROBLEM is None


BWRAP_REASON = f"bubblewrap sandbox unavailable here: {_BWRAP_PROBLEM}"

# Parametrize over both kinds; the bwrap one is skipped (with the reason) where it cannot run.
SANDBOX_KINDS = [
    pytest.param("bwrap", marks=pytest.mark.skipif(not bwrap_available(), reason=BWRAP_REASON)),
    "none",
]


def read_report(result, name: str = "report.json") -> dict:
    """The JSON an algorithm wrote to /data/outputs/<name>, taken from the published results."""
    for item in result.results:
        if item.type == "output" and item.filename == name:
            return json.loads(item.path.read_text())
    raise AssertionError(f"{name} not published; results: {[r.filename for r in result.results]}")


def admin_log(result) -> str:
    """The published configure.log text."""
    return next(r for r in result.results if r.type == "configrationLog").path.read_text()


def algorithm_log(result) -> bytes:
    """The published algorithm.log bytes."""
    return next(r for r in result.results if r.type == "algorithmLog").path.read_bytes()


def v2_result(result, filename: str) -> bytes:
    """The bytes of a v2 result file by name (image.log, configuration.log, algorithm.log, outputs.tar)."""
    return next(r for r in result.results if r.filename == filename).path.read_bytes()


def v2_outputs(result) -> dict[str, bytes]:
    """outputs.tar's regular files by archive name."""
    import io
    import tarfile
    with tarfile.open(fileobj=io.BytesIO(v2_result(result, "outputs.tar"))) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
