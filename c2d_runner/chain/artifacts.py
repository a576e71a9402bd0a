"""Ocean's compiled contracts (ABI + bytecode), read at run time from the installed `ocean-contracts` wheel.

Never copied into this repository (Apache-2.0 data from a registry package): the wheel is a
dependency of the `chain` extra. `$OCEAN_ARTIFACTS_DIR` points at another folder of the same
hardhat-format files instead. The wheel installs top-level packages named `artifacts` and
`addresses`, so files are found through the distribution, never by importing those.

Version: ocean-contracts 3.1.0. It carries Escrow (the Ocean Node payment contract, first in 2.3.0),
and every function and event of the ordering contracts of 2.0.3 (the version ocean-lib 3.1.2
pins) with the same signature, so ocean-lib's own ABIs work against this bytecode.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from c2d_runner.errors import InvalidInput

DISTRIBUTION = "ocean-contracts"
EXTRA_HINT = "install the chain extra: pip install 'c2d-runner[chain]'"


class ChainUnavailable(InvalidInput):
    """The local chain was asked for but the `chain` extra (web3[tester], ocean-contracts) is missing."""


def _folder() -> tuple[Path, str]:
    """(artifacts folder, version label): $OCEAN_ARTIFACTS_DIR, or the installed wheel's artifacts/."""
    override = os.environ.get("OCEAN_ARTIFACTS_DIR")
    if override:
        return Path(override), "dir:" + str(Path(override).resolve())
    from importlib import metadata

    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise ChainUnavailable(f"Ocean's contract artifacts are not installed ({EXTRA_HINT})") from None
    return Path(str(dist.locate_file("artifacts"))), dist.version


def contracts_version() -> str:
    """The ocean-contracts version in use (or 'dir:PATH' for $OCEAN_ARTIFACTS_DIR)."""
    return _folder()[1]


@functools.lru_cache(maxsize=None)
def _load(folder: Path, name: str) -> dict[str, Any]:
    path = folder / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ChainUnavailable(f"contract artifact {name} not found in {folder} ({EXTRA_HINT})") from None
    return {"abi": data["abi"], "bytecode": data["bytecode"]}


def load_artifact(name: str) -> dict[str, Any]:
    """{'abi', 'bytecode'} of contract `name` (e.g. 'ERC20Template')."""
    return _load(_folder()[0], name)


def abi(name: str) -> list[dict[str, Any]]:
    """The ABI of contract `name`."""
    return load_artifact(name)["abi"]


def artifacts_digest(names: tuple[str, ...]) -> str:
    """sha256 over the named artifacts' bytecode and ABI: part of the state cache's key."""
    h = hashlib.sha256()
    for name in names:
        art = load_artifact(name)
        h.update(name.encode() + b"\0" + art["bytecode"].encode() + json.dumps(art["abi"], sort_keys=True).encode())
    return h.hexdigest()[:16]


__all__ = ["ChainUnavailable", "DISTRIBUTION", "EXTRA_HINT", "contracts_version", "load_artifact", "abi",
           "artifacts_digest"]
