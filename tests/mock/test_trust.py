"""Trust rules, tested directly as tables for both policies."""
from __future__ import annotations

import pytest

from mockprovider.trust import AlgorithmFacts, algorithm_error, consumable_error, credential_code

ALGO = AlgorithmFacts("did:op:" + "a" * 64, "0xOwner", "0xNftA", "files1", "cont1")
RAW = AlgorithmFacts(None, None, None, "rawfiles", "rawcont")
ENTRY = {"did": ALGO.did, "filesChecksum": "FILES1", "containerSectionChecksum": "cont1"}


def svc(algorithms=(), publishers=(), raw=False, type_="compute"):
    return {"type": type_, "compute": {"allowRawAlgorithm": raw, "allowNetworkAccess": False,
                                       "publisherTrustedAlgorithms": list(algorithms),
                                       "publisherTrustedAlgorithmPublishers": list(publishers)}}


CASES = [
    # name, service, algorithm, provider-py, ocean-node
    ("empty lists", svc(), ALGO, None, "no_publisherTrustedAlgorithms"),
    ("listed with checksums (case-folded files)", svc([ENTRY]), ALGO, None, None),
    ("not listed", svc([{**ENTRY, "did": "did:op:" + "b" * 64}]), ALGO, "not_trusted_algo", "not_trusted_algo"),
    ("files checksum mismatch", svc([{**ENTRY, "filesChecksum": "x"}]), ALGO, "algorithm_file_checksum_mismatch", "algorithm_file_checksum_mismatch"),
    ("container checksum mismatch", svc([{**ENTRY, "containerSectionChecksum": "x"}]), ALGO, "algorithm_container_checksum_mismatch", "algorithm_container_checksum_mismatch"),
    ("entry without checksums", svc([{"did": ALGO.did}]), ALGO, None, None),
    ("publisher listed (owner)", svc(publishers=["0xOwner"]), ALGO, None, "not_trusted_algo_publisher"),
    ("publisher listed (nft address)", svc(publishers=["0xnfta"]), ALGO, "not_trusted_algo_publisher", None),
    ("publisher wildcard", svc(publishers=["*"]), ALGO, "not_trusted_algo_publisher", None),
    ("wildcard algorithm entry", svc([{"did": "*", "filesChecksum": "*", "containerSectionChecksum": "*"}]), ALGO, "not_trusted_algo", None),
    ("algorithm ok but publisher not", svc([ENTRY], ["0xSomeoneElse"]), ALGO, "not_trusted_algo_publisher", None),
    ("publisher ok but algorithm not", svc([{**ENTRY, "did": "x"}], ["0xOwner"]), ALGO, "not_trusted_algo", "not_trusted_algo"),
    ("raw allowed, lists empty", svc(raw=True), RAW, None, "no_publisherTrustedAlgorithms"),
    ("raw allowed, lists set", svc([ENTRY], raw=True), RAW, None, None),
    ("raw not allowed", svc([ENTRY]), RAW, "no_raw_algo_allowed", "no_raw_algo_allowed"),
    ("access service", svc(type_="access"), ALGO, None, None),
]


@pytest.mark.parametrize("name,service,algo,py,node", CASES, ids=[c[0] for c in CASES])
def test_trusted_algorithm_rules(name, service, algo, py, node):
    assert algorithm_error("provider-py", service, algo) == py
    assert algorithm_error("ocean-node", service, algo) == node


def test_unknown_policy_is_an_error():
    with pytest.raises(ValueError, match="unknown trust policy 'x'"):
        algorithm_error("x", svc(), ALGO)


def ddo(state=0, allow=(), deny=(), nft=True):
    d = {"id": "did:op:1", "chainId": 8996, "metadata": {"name": "n"},
         "credentials": {"allow": [{"type": "address", "values": list(allow)}], "deny": [{"type": "address", "values": list(deny)}]}}
    if nft:
        d["nft"] = {"address": "0xN", "state": state}
    return d


@pytest.mark.parametrize("doc,address,expected", [
    (ddo(), "0xA", None),
    (ddo(state=5), "0xA", None),
    (ddo(state=1), "0xA", "Asset is not consumable."),
    (ddo(state=4), "0xA", "Asset is not consumable."),
    (ddo(nft=False), "0xA", "Asset malformed or disabled."),
    (ddo(allow=["0xa"]), "0xA", None),
    (ddo(allow=["0xB"]), "0xA", "Error: Access to asset did:op:1 was denied with code: 3."),
    (ddo(deny=["0xa"]), "0xA", "Error: Access to asset did:op:1 was denied with code: 4."),
    (ddo(allow=["0xA"], deny=["0xA"]), "0xA", None),  # a non-empty allow list decides alone (ocean.py order)
])
def test_consumability(doc, address, expected):
    assert consumable_error(doc, address) == expected


def test_empty_metadata_is_disabled():
    assert credential_code({"metadata": {}}, "0xA") == 1
