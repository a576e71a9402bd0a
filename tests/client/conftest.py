"""Shared fixtures for the Ocean client tests: a consumer wallet (Hardhat dev account #0, a
well-known public test key), a fast-retrying OceanCompute pointed at pytest-httpserver, and
builders for the Provider root map and DDOs."""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from c2d_runner import wire
from c2d_runner.ocean import OceanCompute

# /work/main/tests/client/conftest.py -> parents[3] = /work; the shared fixtures live beside main.
_DEFAULT_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "ocean-ddos"
FIXTURES = Path(os.environ.get("C2D_OCEAN_DDO_FIXTURES", _DEFAULT_FIXTURES))

CHAIN_ID = 8996
DATASET_DID = wire.derive_did("0xCc708430E6a174BD4639A979F578A2176A0FA3fA", CHAIN_ID)
ALGO_DID = wire.derive_did("0xFEB0237E884C7e46E5bcdD4D7D5C4163F13d5935", CHAIN_ID)

ROOT_ENDPOINTS = {
    "nonce": ["GET", "/api/services/nonce"],
    "fileinfo": ["POST", "/api/services/fileinfo"],
    "initialize": ["GET", "/api/services/initialize"],
    "download": ["GET", "/api/services/download"],
    "initializeCompute": ["POST", "/api/services/initializeCompute"],
    "computeStart": ["POST", "/api/services/compute"],
    "computeStatus": ["GET", "/api/services/compute"],
    "computeStop": ["PUT", "/api/services/compute"],
    "computeDelete": ["DELETE", "/api/services/compute"],
    "computeResult": ["GET", "/api/services/computeResult"],
    "computeEnvironments": ["GET", "/api/services/computeEnvironments"],
}


def root_document(endpoints: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A Provider v2.1.5 root document."""
    return {
        "software": "Provider",
        "version": "2.1.5",
        "chainIds": [CHAIN_ID],
        "providerAddresses": {str(CHAIN_ID): "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},
        "serviceEndpoints": endpoints or ROOT_ENDPOINTS,
    }


def fixture_json(name: str) -> dict[str, Any]:
    """A public DDO fixture, read in place; the test skips when the shared folder is absent."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"needs the recorded public Ocean DDOs, which live outside this repository in the project's "
                    f"shared folder: not found at {FIXTURES}; set C2D_OCEAN_DDO_FIXTURES to their folder to run it")
    return json.loads(path.read_text(encoding="utf-8"))


def dataset_ddo(provider_url: str, *, did: str = DATASET_DID, service_type: str = "compute",
                nft_state: int = 0, credentials: dict | None = None) -> dict[str, Any]:
    """A minimal v4.1.0 dataset DDO whose compute service points at `provider_url`."""
    return {
        "@context": ["https://w3id.org/did/v1"],
        "id": did,
        "version": "4.1.0",
        "chainId": CHAIN_ID,
        "nftAddress": "0xCc708430E6a174BD4639A979F578A2176A0FA3fA",
        "metadata": {"type": "dataset", "name": "iris", "description": "d", "author": "a", "license": "MIT"},
        "services": [
            {
                "id": "compute",
                "type": service_type,
                "datatokenAddress": "0x0000000000000000000000000000000000000001",
                "serviceEndpoint": provider_url,
                "files": "0x00",
                "timeout": 0,
                "compute": {
                    "allowRawAlgorithm": True,
                    "allowNetworkAccess": False,
                    "publisherTrustedAlgorithmPublishers": [],
                    "publisherTrustedAlgorithms": [],
                },
            }
        ],
        "credentials": credentials if credentials is not None else {"allow": [], "deny": []},
        "nft": {"address": "0xCc708430E6a174BD4639A979F578A2176A0FA3fA", "state": nft_state, "owner": "0x0"},
    }


def algorithm_ddo(provider_url: str, did: str = ALGO_DID) -> dict[str, Any]:
    """A minimal published algorithm DDO."""
    ddo = dataset_ddo(provider_url, did=did)
    ddo["metadata"] = {
        "type": "algorithm", "name": "stats", "description": "d", "author": "a", "license": "MIT",
        "algorithm": {"language": "python", "version": "3.11",
                      "container": {"entrypoint": "python $ALGO", "image": "python", "tag": "3.11",
                                    "checksum": "sha256:" + "0" * 64}},
    }
    ddo["services"][0]["id"] = "algo"
    return copy.deepcopy(ddo)


@pytest.fixture
def wallet():
    """Hardhat dev account #0 (the well-known public test key in wire.py)."""
    from eth_account import Account

    return Account.from_key(wire.TEST_CONSUMER_KEY)


@pytest.fixture
def sleeps() -> list[float]:
    """Every sleep the client asked for, instead of sleeping."""
    return []


@pytest.fixture
def provider_url(httpserver) -> str:
    """The pytest-httpserver base URL, used as Provider and Aquarius."""
    return httpserver.url_for("/").rstrip("/")


@pytest.fixture
def oc(provider_url, sleeps):
    """An OceanCompute against httpserver that records sleeps rather than sleeping."""
    # The provider's nonce is asked before each signed call (CLOCK_NONCES off), so these tests
    # pin exact nonces; test_clock_nonces.py covers the default clock nonces.
    client = OceanCompute(
        {"METADATA_CACHE_URI": provider_url, "CHAIN_ID": CHAIN_ID, "RETRIES": 2, "REQUEST_TIMEOUT": 5,
         "CLOCK_NONCES": False},
        sleep=sleeps.append,
    )
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _server_assertions(request):
    """Every test that used httpserver ends with its assertions checked (mismatches reach the test).

    The server fixture is requested before the yield so that it is torn down (cleared) after us.
    """
    server = request.getfixturevalue("httpserver") if "httpserver" in request.fixturenames else None
    yield
    if server is not None:
        server.check_assertions()
        server.check_handler_errors()


def sent(httpserver, path: str, method: str | None = None) -> list:
    """The werkzeug requests httpserver received for `path` (and `method`), in order."""
    return [req for req, _ in httpserver.log if req.path == path and (method is None or req.method == method)]
