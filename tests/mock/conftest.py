"""Fixtures for the mock Ocean tests: one real HTTP server on 127.0.0.1 per module, clients."""
from __future__ import annotations

import pytest

from mockprovider import MockOcean
from tests.mock.helpers import CONSUMER, OTHER, Consumer


@pytest.fixture(scope="module")
def mock():
    """A default-world mock Ocean on an ephemeral port, stopped (threads joined) after the module."""
    with MockOcean() as server:
        yield server


@pytest.fixture()
def consumer(mock) -> Consumer:
    return Consumer(mock.url, CONSUMER)


@pytest.fixture()
def other(mock) -> Consumer:
    return Consumer(mock.url, OTHER)


@pytest.fixture()
def dids(mock) -> dict[str, str]:
    return {name: a.did for name, a in mock.assets.items()}
