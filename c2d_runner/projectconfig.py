"""The project's c2d settings: `c2d.toml`, or `[tool.c2d]` in `pyproject.toml`, found from the
working folder upwards (the nearest folder with either wins; c2d.toml first).

Named targets, so `--target base-node` means a URL written once:

    [tool.c2d.targets.base-node]          # in c2d.toml: [targets.base-node]
    provider = "https://node.example"
    aquarius = "https://aquarius.example"   # optional, default: the provider's URL
    chain_id = 8453                         # a Provider's; an Ocean Node needs none
    protocol = "ocean-node"                 # optional: insist (default: the root document decides)
    rpc = "https://rpc.example/${KEY}"      # optional: pay for compute on this chain (${VAR} from the environment)
    address_file = "address.json"           # optional, relative to the config file (default: the wheel's)

    [tool.c2d.targets.flaky-mock]
    mock = "mock/world.yaml"                # optional world file, relative to the config file
    faults = "flaky"
    seed = 7
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from c2d_runner.errors import InvalidInput

CONFIG_FILES = ("c2d.toml", "pyproject.toml")


class ProjectConfigError(InvalidInput):
    """The project config cannot be read, or a named target is unknown or malformed."""


@dataclass(frozen=True)
class ProjectConfig:
    """The c2d table of a config file and where it was found."""

    path: Path | None
    data: dict

    @property
    def targets(self) -> dict:
        """Named targets: name -> table."""
        targets = self.data.get("targets", {})
        return targets if isinstance(targets, dict) else {}


def _toml(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProjectConfigError(f"cannot read {path}: {exc}") from None


def find_config(start: str | Path = ".") -> ProjectConfig:
    """The nearest project config at or above `start` (an empty one when there is none)."""
    folder = Path(start).resolve()
    for here in (folder, *folder.parents):
        own = here / "c2d.toml"
        if own.is_file():
            return ProjectConfig(own, _toml(own))
        pyproject = here / "pyproject.toml"
        if pyproject.is_file():
            table = _toml(pyproject).get("tool", {}).get("c2d")
            if isinstance(table, dict):
                return ProjectConfig(pyproject, table)
    return ProjectConfig(None, {})


def named_target(name: str, config: ProjectConfig, chain_id: int | None = None) -> Any:
    """The Target a project config names (a chain id given on the command line wins)."""
    from c2d_runner.spec.model import MockTarget, RemoteTarget

    table = config.targets.get(name)
    if not isinstance(table, dict):
        known = ", ".join(sorted(config.targets)) or "none"
        where = f" in {config.path}" if config.path else " (no c2d.toml or [tool.c2d] in pyproject.toml found)"
        raise ProjectConfigError(f"no target named {name!r}{where}; named targets: {known}")
    protocol = table.get("protocol")
    if protocol not in (None, "provider", "ocean-node"):
        raise ProjectConfigError(f"target {name!r} in {config.path}: protocol must be 'provider' or 'ocean-node'")
    if "provider" in table:
        provider = str(table["provider"]).rstrip("/")
        chain = chain_id if chain_id is not None else table.get("chain_id")
        if not provider.startswith(("http://", "https://")) or not isinstance(chain, (int, type(None))):
            raise ProjectConfigError(f"target {name!r} in {config.path} needs provider = an http(s) URL "
                                     "(and chain_id, an integer, for a Provider)")
        rate = table.get("requests_per_minute")
        rpc, address_file = _rpc(name, config, table)
        return RemoteTarget(provider=provider, aquarius=str(table.get("aquarius", provider)).rstrip("/"),
                            chain_id=chain, protocol=protocol, requests_per_minute=rate, rpc=rpc,
                            address_file=address_file)
    world = table.get("mock")
    if "rpc" in table:
        raise ProjectConfigError(f"target {name!r} in {config.path}: rpc goes with provider = URL "
                                 "(a mock target pays on its own chain: chain = true in a spec)")
    return MockTarget(world=(config.path.parent / world).resolve() if world else None,
                      faults=table.get("faults"), seed=int(table.get("seed", 0)), protocol=protocol)


def _rpc(name: str, config: ProjectConfig, table: dict) -> tuple[str | None, Path | None]:
    """A named target's (rpc, address_file); ${VAR} in the RPC URL is read from the environment (it
    often holds an API key, which belongs out of the repository)."""
    import os
    import re

    rpc = table.get("rpc")
    if rpc is not None:
        missing = [v for v in re.findall(r"\$\{(\w+)\}", str(rpc)) if v not in os.environ]
        if missing:
            raise ProjectConfigError(f"target {name!r} in {config.path}: rpc needs ${{{missing[0]}}}, "
                                     "which is not set in the environment")
        rpc = re.sub(r"\$\{(\w+)\}", lambda m: os.environ[m.group(1)], str(rpc)).rstrip("/")
        if not rpc.startswith(("http://", "https://")):
            raise ProjectConfigError(f"target {name!r} in {config.path}: rpc must be an http(s) URL")
    address_file = table.get("address_file")
    return rpc, (config.path.parent / str(address_file)).resolve() if address_file else None
