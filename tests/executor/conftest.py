"""Fixtures for the executor tests: executors per sandbox kind and a request builder."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from executor_helpers import ALGO_DID, DATASET_A, PYTHON_MAP, bwrap_available
from mockprovider.executor import (LAYOUT_V2, Algorithm, ExecutionRequest, Executor, InputDataset,
                                   Resources)


@pytest.fixture(scope="session")
def executors() -> dict[str, Executor]:
    """One executor per sandbox kind that works here (they hold no per-job state)."""
    found = {"none": Executor(sandbox="none")}
    if bwrap_available():
        found["bwrap"] = Executor(sandbox="bwrap")
    return found


@pytest.fixture
def make_request(tmp_path: Path):
    """Build an ExecutionRequest whose algorithm is the given Python source."""
    counter = iter(range(1000))

    def build(code: str, *, inputs=None, extra_files=(), did=ALGO_DID, entrypoint="python $ALGO",
              command_map=PYTHON_MAP, algocustomdata=None, max_duration=60.0, allow_network=False,
              max_log_bytes=10 * 2**20, algo_ddo=None) -> ExecutionRequest:
        n = next(counter)
        if inputs is None:
            data = tmp_path / f"dataset-{n}.csv"
            data.write_text("x,y\n1,2\n")
            inputs = (InputDataset(DATASET_A, (data,), {"id": DATASET_A, "metadata": {"type": "dataset"}}),)
        source = textwrap.dedent(code).encode() if code else b""
        algorithm = Algorithm(did, (source, *extra_files),
                              algo_ddo if algo_ddo is not None else ({"id": did} if did else None),
                              entrypoint, command_map)
        return ExecutionRequest(f"job{n}", tmp_path / f"job{n}", tuple(inputs), algorithm, algocustomdata,
                                max_duration, allow_network, max_log_bytes)

    return build


@pytest.fixture
def make_v2_request(tmp_path: Path):
    """Build a v2 (Ocean Node) ExecutionRequest whose raw algorithm is the given Python source."""
    counter = iter(range(1000))

    def build(code: str, *, inputs=None, envs=None, algocustomdata=None, max_duration=60.0,
              allow_network=False, resources=None, entrypoint="python $ALGO",
              max_log_bytes=10 * 2**20) -> ExecutionRequest:
        n = next(counter)
        if inputs is None:
            data = tmp_path / f"v2-input-{n}" / "data.csv"
            data.parent.mkdir()
            data.write_text("x,y\n1,2\n")
            inputs = (InputDataset(None, (data,), None),)
        source = textwrap.dedent(code).encode() if code else b""
        algorithm = Algorithm(None, (source,), None, entrypoint, PYTHON_MAP)
        return ExecutionRequest(f"v2job{n}", tmp_path / f"v2job{n}", tuple(inputs), algorithm, algocustomdata,
                                max_duration, allow_network, max_log_bytes, layout=LAYOUT_V2,
                                envs=envs or {}, resources=resources or Resources(ram_bytes=1 << 30, cpus=1),
                                image="python:3.11")

    return build
