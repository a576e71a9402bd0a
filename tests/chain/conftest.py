"""Fixtures for the local chain (c2d_runner.chain); tests using them skip without the `chain` extra."""
from __future__ import annotations

import pytest

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
