"""Fixtures for the local chain (c2d_runner.chain); tests using them skip without the `chain` extra."""
from __future__ import annotations

from pathlib import Path

import pytest

# The default world's dataset (a text corpus) and algorithm (a word count), published on the chain
CORPUS = "did:op:f6c1c1baee952b2601f14cea2718d0892944c466e5d3fa37b757e3e7a9cf6b4c"
WORDCOUNT = "did:op:963617b402cd049f8127223c3f467f32e260f86ef7d4c7cf3b787cb811329a53"
EXTRA = "the local chain needs the chain extra: pip install -e '.[test,chain]'"


def require_chain_extra() -> None:
    """Skip the calling test, saying why, when the chain extra is not installed."""
    for module in ("eth_tester", "web3"):
        pytest.importorskip(module, reason=EXTRA)
    from importlib import metadata

    try:
        metadata.distribution("ocean-contracts")
    except metadata.PackageNotFoundError:
        pytest.skip(EXTRA)


def count_spec(tmp_path: Path, name: str, target: str, environment: str, extra: str = "",
               timeout: int | None = None) -> Path:
    """A spec NAME.yaml with one job `count` (CORPUS by WORDCOUNT in `environment`, expected to
    finish, within `timeout` s when given) on `target` (YAML flow text); `extra` adds top-level lines
    (e.g. a consumer)."""
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(f"""version: 1
name: {name}
target: {target}
{extra}jobs:
  count:
    dataset: {{did: "{CORPUS}"}}
    algorithm: {{did: "{WORDCOUNT}"}}
    environment: "{environment}"
{f"    timeout: {timeout}{chr(10)}" if timeout else ""}    expect: {{status: finished}}
""")
    return spec


@pytest.fixture(scope="session")
def booted_chain():
    """One LocalChain for the session with the default world published (from the user's state cache
    after the first boot), so each test's revert keeps the world's NFTs and datatokens."""
    require_chain_extra()
    from c2d_runner.chain.local import LocalChain
    from mockprovider.chainworld import preparation
    from mockprovider.world import load_world

    return LocalChain.boot(prepare=preparation(load_world(None)))


@pytest.fixture
def chain(booted_chain):
    """The session's chain, put back to its post-boot state after the test."""
    snapshot = booted_chain.snapshot()
    yield booted_chain
    booted_chain.revert(snapshot)
