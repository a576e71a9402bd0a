"""Fixtures for Ocean Node client tests: a node root document, a wallet, an HttpClient that records
sleeps, and every pytest-httpserver expectation checked at teardown."""
from __future__ import annotations

from typing import Any

import pytest

from c2d_runner import wire
from c2d_runner.ocean.http import HttpClient, RetryPolicy

NODE_ADDRESS = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
CLUSTER = "0x" + "c1" * 32
RAW_ID = "ab" * 32
JOB_ID = f"{CLUSTER}-{RAW_ID}"
ENV_ID = f"{CLUSTER}-0x" + "e0" * 32

NODE_ENDPOINTS = {
    "nonce": ["GET", "/api/services/nonce"],
    "computeEnvironments": ["GET", "/api/services/computeEnvironments"],
    "computeStart": ["POST", "/api/services/compute"],
    "freeCompute": ["POST", "/api/services/freeCompute"],
    "computeStop": ["PUT", "/api/services/compute"],
    "computeStatus": ["GET", "/api/services/compute"],
    "computeResult": ["GET", "/api/services/computeResult"],
    "computeStreamableLogs": ["GET", "/api/services/computeStreamableLogs"],
    "initializeCompute": ["POST", "/api/services/initializeCompute"],
    "getDDO": ["GET", "/api/aquarius/assets/ddo/:did/:force?"],
}


def node_root(endpoints: dict | None = None) -> dict[str, Any]:
    """An Ocean Node 3.1.0 root document as the reference node served it."""
    return {"nodeId": "16Uiu2HAmExample", "chainIds": ["8996"], "providerAddress": NODE_ADDRESS,
            "nodePublicKey": {"0": 3, "1": 79}, "serviceEndpoints": endpoints or NODE_ENDPOINTS,
            "software": "Ocean-Node", "version": "0.0.1"}


def node_job(status: int = 10, **extra: Any) -> dict[str, Any]:
    """A job object in the node's shape (start answers carry the prefixed id, status the raw one)."""
    from c2d_runner.ocean.node.status import status_text

    return {"owner": wire.address_of(wire.TEST_CONSUMER_KEY), "jobId": RAW_ID, "dateCreated": "1764590000.123",
            "dateFinished": None, "status": status, "statusText": status_text(status), "results": [],
            "environment": ENV_ID, "stopRequested": False, "isFree": True, "metadata": None,
            "additionalViewers": None, "terminationDetails": {"exitCode": None, "OOMKilled": None},
            "maxJobDuration": 600, "algoStartTimestamp": "0", "algoStopTimestamp": "0", **extra}


@pytest.fixture
def wallet():
    """Hardhat dev account #0 as a light KeyWallet (what the runner signs with)."""
    return wire.key_wallet(wire.TEST_CONSUMER_KEY)


@pytest.fixture
def sleeps() -> list[float]:
    """Every sleep the client asked for, instead of sleeping."""
    return []


@pytest.fixture
def http(sleeps):
    """An HttpClient that records its sleeps."""
    client = HttpClient(timeout=(5.0, 5.0), retry=RetryPolicy(retries=2), sleep=sleeps.append)
    yield client
    client.close()


@pytest.fixture
def node_url(httpserver) -> str:
    """pytest-httpserver's base URL, posing as the node."""
    return httpserver.url_for("/").rstrip("/")


@pytest.fixture(autouse=True)
def _server_assertions(request):
    """Tests that used httpserver end with its assertions and handler errors checked."""
    server = request.getfixturevalue("httpserver") if "httpserver" in request.fixturenames else None
    yield
    if server is not None:
        server.check_assertions()
        server.check_handler_errors()
