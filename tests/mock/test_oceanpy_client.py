"""ocean.py's own client (ocean-lib 3.1.2) runs the whole compute flow against `c2d mock serve`.

ocean-lib pins old web3/eth-account, so it lives in its own Python 3.10 virtualenv, cached under
~/.cache/c2d-runner/oceanlib-3.1.2-py3.10 (created on first use; slow once).  The test is skipped,
saying why, only when that virtualenv cannot be made.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest

from c2d_runner import wire
from tests.mock import helpers

OCEAN_LIB = "3.1.2"
PYTHON310 = pathlib.Path(os.environ.get("C2D_PYTHON310", "/root/.pyenv/versions/3.10.13/bin/python"))
CACHE = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "c2d-runner"
VENV = CACHE / f"oceanlib-{OCEAN_LIB}-py3.10"
READY = VENV / ".c2d-ready"
DRIVER = pathlib.Path(__file__).parent / "oceanpy" / "driver.py"


def _oceanlib_python() -> pathlib.Path:
    python = VENV / "bin" / "python"
    if READY.exists() and python.exists():
        return python
    if not PYTHON310.exists():
        pytest.skip(f"no Python 3.10 at {PYTHON310} (ocean-lib {OCEAN_LIB} cannot install on 3.12); set C2D_PYTHON310")
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([str(PYTHON310), "-m", "venv", "--clear", str(VENV)], check=True, capture_output=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"ocean-lib=={OCEAN_LIB}"],
                       check=True, capture_output=True, timeout=1200)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        pytest.skip(f"cannot install ocean-lib {OCEAN_LIB} into {VENV}: {detail.decode(errors='replace')[-500:]}")
    READY.touch()
    return python


@pytest.fixture()
def served_mock(tmp_path):
    """`c2d mock serve` as a subprocess on an ephemeral port; stopped with SIGTERM."""
    with helpers.served_mock(tmp_path / "state") as served:
        yield served


def test_oceanpy_runs_the_whole_flow(served_mock):
    python = _oceanlib_python()
    url, dids = served_mock
    run = subprocess.run([str(python), str(DRIVER), url, wire.TEST_CONSUMER_KEY, dids["iris"], dids["stats"]],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    line = next(l for l in run.stdout.splitlines() if l.startswith("RESULT "))
    out = json.loads(line[len("RESULT "):])
    assert out["ddo_ids"] == [dids["iris"], dids["stats"]] and out["query_hits"] == 3
    assert out["env"] == "ocean-compute" and out["fileinfo_ok"] is True
    assert out["initialize_keys"] == ["algorithm", "datasets"]
    assert out["status"] == 70 and out["statusText"] == "Job finished"
    assert out["result_types"] == ["output", "algorithmLog", "configrationLog"]
    assert out["output"]["datasets"][wire.did_hex(dids["iris"])]["0"]["rows"] == 150
    assert "stats: done" in out["algorithm_log"] and out["outputs_via_logs"] == 1
    assert out["stopreq"] == 1 and out["stopped_status"] == [70, 1, "raw"]


PAID_DRIVER = pathlib.Path(__file__).parent / "oceanpy" / "driver_paid.py"


def test_oceanpy_pays_with_real_orders_on_the_local_chain(tmp_path):
    """ocean-lib's own pay_for_compute_service: startOrder over the mock's JSON-RPC bridge, checked on chain."""
    from tests.chain.conftest import require_chain_extra

    require_chain_extra()
    python = _oceanlib_python()
    with helpers.served_mock(tmp_path / "state", None, "--chain") as (url, dids):
        rpc, address_file = helpers.served_chain(tmp_path / "state")
        run = subprocess.run([str(python), str(PAID_DRIVER), url, wire.TEST_CONSUMER_KEY, rpc, str(address_file),
                              dids["iris"], dids["stats"], "ocean-compute"],
                             capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = json.loads(next(l for l in run.stdout.splitlines() if l.startswith("RESULT "))[len("RESULT "):])
    assert out["chain_id"] == 8996 and out["network"] == "development"
    assert all(tx.startswith("0x") and len(tx) == 66 for tx in out["orders"])
    # The free environment's fee is zero (signed all the same); ocean-lib's pay_for_compute_service
    # approves no fee token, so a priced environment needs the user's own approve first.
    assert out["ocean_paid"] == 0
    assert out["order_logs"] >= 1  # ocean-lib reads OrderStarted back by consumer (the env address) from the chain
    assert out["status"] == 70
    assert out["output"]["datasets"][wire.did_hex(dids["iris"])]["0"]["rows"] == 150
    dataset_again, algorithm_again = out["reinitialize"]
    assert dataset_again["validOrder"] == out["orders"][0] and "providerFee" not in dataset_again
    assert algorithm_again["validOrder"] == out["orders"][1]
