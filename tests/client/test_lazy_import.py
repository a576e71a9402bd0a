"""`import c2d_runner` stays cheap: the client's heavy dependencies load only when used."""
from __future__ import annotations

import subprocess
import sys

import c2d_runner

OCEAN_PY_NAMES = ["OceanCompute", "ComputeInput", "AlgorithmMetadata", "Aquarius", "DDO", "AssetNotConsumable"]


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def test_import_c2d_runner_loads_neither_requests_nor_eth_account():
    out = _run("import sys, c2d_runner, c2d_runner.cli, c2d_runner.ocean, c2d_runner.ocean.errors; "
               "print('requests' in sys.modules, 'eth_account' in sys.modules)")
    assert out == "False False"


def test_ocean_py_names_are_re_exported_lazily():
    out = _run("import sys; from c2d_runner import " + ", ".join(OCEAN_PY_NAMES) +
               "; print(OceanCompute.__module__, 'eth_account' in sys.modules)")
    assert out == "c2d_runner.ocean.compute False"
    for name in OCEAN_PY_NAMES:
        assert name in c2d_runner.__all__
        assert getattr(c2d_runner, name) is getattr(__import__("c2d_runner.ocean", fromlist=[name]), name)


def test_unknown_attribute_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        c2d_runner.Nope  # noqa: B018
