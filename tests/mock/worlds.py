"""Small world files for tests, written next to tmp_path; they reuse the default world's files."""
from __future__ import annotations

import pathlib

import yaml

from mockprovider.world import DEFAULT_WORLD


def small_world(tmp_path: pathlib.Path, trust_policy: str = "provider-py", faults: str | None = None,
                compute: dict | None = None, **env) -> pathlib.Path:
    """The default world with one environment changed by `env` (and optional trust / faults)."""
    data = yaml.safe_load(DEFAULT_WORLD.read_text())
    base = DEFAULT_WORLD.parent
    for kind in ("datasets", "algorithms"):
        for asset in data[kind]:
            asset["files"] = [str(base / f) for f in asset["files"]]
    data["environments"][0].update(env)
    data["trust_policy"] = trust_policy
    if faults:
        data["faults"] = faults
    if compute is not None:
        data["datasets"][0]["services"][0]["compute"] = compute
    path = tmp_path / "world.yaml"
    path.write_text(yaml.safe_dump(data))
    return path
