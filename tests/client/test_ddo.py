"""DDO model, DID tools and consumability over the real public fixtures."""
from __future__ import annotations

import pytest

from c2d_runner.ocean import (
    DDO,
    ConsumableCodes,
    InvalidDDO,
    InvalidDID,
    UnsupportedDDO,
    container_section_checksum,
    derive_did,
    did_matches,
    files_checksum,
    is_valid_did,
    validate_did,
)
from c2d_runner.ocean.consumable import consumable_code, credentials_code, fileinfo_ok

from .conftest import fixture_json

V4_FIXTURES = [
    "ocean.py--ddo_v4_with_compute_service.json",
    "ocean.py--ddo_v4_with_compute_service2.json",
    "ocean.py--ddo_v4_sample.json",
    "ocean.py--ddo_algorithm2.json",
    "ocean-cli--simpleComputeDataset.json",
    "ocean-cli--pythonAlgo.json",
    "pontus-x--algorithm-17feb697.json",
]


@pytest.mark.parametrize("name", V4_FIXTURES)
def test_every_v4_fixture_parses_and_round_trips(name):
    data = fixture_json(name)
    ddo = DDO.from_dict(data)
    assert ddo.did == data["id"]
    assert ddo.as_dictionary() == data
    assert len(ddo.services) == len(data["services"])
    for raw, service in zip(data["services"], ddo.services):
        assert service.type == raw["type"]
        assert service.service_endpoint == raw["serviceEndpoint"].rstrip("/")


@pytest.mark.parametrize("name", ["ocean.py--ddo_algorithm.json", "ocean.py--ddo_sa_sample_with_credentials.json"])
def test_legacy_v3_ddo_is_refused_cleanly(name):
    with pytest.raises(UnsupportedDDO, match=r"unsupported DDO did:op:8d1b4d73.*legacy v3 format.*v4\.x"):
        DDO.from_dict(fixture_json(name))


def test_compute_service_fixture_has_ocean_py_attributes():
    ddo = DDO.from_dict(fixture_json("ocean.py--ddo_v4_with_compute_service.json"))
    assert ddo.did == "did:op:d32696f71f3318c92bcf325e2e51e6e8299c0eb6d362ddcfa77d2a3e0c1237b5"
    assert ddo.chain_id == 8996
    assert ddo.nft_address == "0xCc708430E6a174BD4639A979F578A2176A0FA3fA"
    assert ddo.metadata["type"] == "dataset"
    assert ddo.nft["state"] == 0 and ddo.nft_state == 0
    assert ddo.credentials["allow"][0]["values"] == ["0x123", "0x456"]
    compute = ddo.get_service_by_type("compute")
    assert compute is ddo.get_service_by_id("2")
    assert compute.datatoken == "0x124"
    assert compute.timeout == 3600
    assert compute.service_endpoint == "http://172.15.0.4:8030"
    assert compute.compute_values["namespace"] == "ocean-compute"  # legacy field kept, ignored
    assert compute.compute.allow_raw_algorithm is False
    assert compute.compute.allow_network_access is True
    assert compute.compute.trusted_algorithm_publishers == ("0x234", "0x235")
    assert [a.did for a in compute.compute.trusted_algorithms] == ["did:op:123", "did:op:124"]
    assert compute.compute.trusted_algorithms[0].files_checksum == "100"
    assert ddo.get_service_by_type("access").id == "1"
    assert ddo.get_service_by_id("nope") is None
    assert ddo.get_index_of_service(compute) == 1


def test_did_of_compute_service_fixture_matches_its_nft_address_and_chain():
    data = fixture_json("ocean.py--ddo_v4_with_compute_service.json")
    assert derive_did(data["nftAddress"], data["chainId"]) == data["id"]
    assert DDO.from_dict(data).did_is_valid


def test_did_of_algorithm2_fixture_does_not_match():
    data = fixture_json("ocean.py--ddo_algorithm2.json")
    ddo = DDO.from_dict(data)  # still readable: only its id is wrong
    assert not is_valid_did(ddo.did)  # "did:op:ACce67..." is mixed-case and 40 hex long
    assert not did_matches(ddo.did, ddo.nft_address, ddo.chain_id)
    assert not ddo.did_is_valid
    with pytest.raises(InvalidDID, match=r"expected 'did:op:' followed by 64 lowercase hex digits"):
        validate_did(ddo.did)


def test_pontus_x_real_ddo_did_container_and_consumer_parameters():
    data = fixture_json("pontus-x--algorithm-17feb697.json")
    ddo = DDO.from_dict(data)
    assert ddo.did_is_valid and ddo.chain_id == 32457
    algo = ddo.algorithm
    assert ddo.is_algorithm and algo.container.checksum.startswith("sha256:")
    assert algo.container.section_checksum == container_section_checksum(
        data["metadata"]["algorithm"]["container"]["entrypoint"], data["metadata"]["algorithm"]["container"]["checksum"]
    )
    params = algo.consumer_parameters
    assert [p.type for p in params] == ["text", "text"]
    assert all(p.name for p in params)
    assert ddo.purgatory is not None
    assert ddo.generate_trusted_algorithms("ab")["containerSectionChecksum"] == algo.container.section_checksum


def test_ocean_cli_templates_read_indexed_metadata():
    ddo = DDO.from_dict(fixture_json("ocean-cli--simpleComputeDataset.json"))
    assert ddo.nft_state == 5  # from indexedMetadata.nft: unlisted is still consumable
    assert not ddo.is_disabled
    trusted = ddo.services[0].compute.trusted_algorithms[0]
    assert (trusted.did, trusted.files_checksum, trusted.container_section_checksum) == ("*", "*", "*")
    assert ddo.services[0].compute.trusted_algorithm_publishers == ("*",)
    assert not ddo.did_is_valid  # "did:op" placeholder with an empty nftAddress


def test_top_level_aquarius_fields_win_over_indexed_metadata():
    data = fixture_json("ocean.py--ddo_v4_sample.json")
    data["indexedMetadata"] = {"nft": {"state": 3}, "event": {"tx": "0xnew"}}
    ddo = DDO.from_dict(data)
    assert ddo.nft_state == 0
    del data["nft"]
    assert DDO.from_dict(data).nft_state == 3
    assert DDO.from_dict(data).is_disabled


def test_container_section_checksum_reference_vector():
    checksum = "sha256:8221d20c1c16491d7d56b9657ea09082c0ee4a8ab1a6621fa720da58b09580e4"
    assert container_section_checksum("python $ALGO", checksum) == (
        "77ac49b8c4ad209694f7143cec62d67ee4c6d2d5edf1f3f4e09ca4173b22610f"
    )
    ddo = DDO.from_dict(fixture_json("ocean.py--ddo_algorithm2.json"))
    assert ddo.algorithm.container.section_checksum == "77ac49b8c4ad209694f7143cec62d67ee4c6d2d5edf1f3f4e09ca4173b22610f"


def test_files_checksum_concatenates_sha256_of_each_file():
    import hashlib

    assert files_checksum([b"a", b"b"]) == hashlib.sha256(b"a").hexdigest() + hashlib.sha256(b"b").hexdigest()


@pytest.mark.parametrize(
    "data, message",
    [
        ([], r"a DDO must be a JSON object, got list"),
        ({"version": "4.1.0", "services": []}, r"no usable 'id'"),
        ({"version": "4.1.0", "id": "did:op:x", "services": {}}, r"'services' must be a list"),
        ({"version": "4.1.0", "id": "did:op:x", "services": [{"id": "1"}]}, r"services\[0\] has no 'type'"),
        ({"version": "4.1.0", "id": "did:op:x", "chainId": "eth", "services": []}, r"chainId must be an integer"),
        ({"version": "3.0.0", "id": "did:op:x", "services": []}, r"version '3.0.0', expected 4.x"),
        ({"id": "did:op:x"}, r"legacy v3"),
    ],
)
def test_malformed_ddos_raise_invalid_ddo_with_a_message(data, message):
    with pytest.raises(InvalidDDO, match=message):
        DDO.from_dict(data)


def test_derive_did_needs_checksummed_address_and_validates_input():
    lower = "0xcc708430e6a174bd4639a979f578a2176a0fa3fa"
    assert derive_did(lower, 8996) == "did:op:d32696f71f3318c92bcf325e2e51e6e8299c0eb6d362ddcfa77d2a3e0c1237b5"
    with pytest.raises(InvalidDID, match="cannot derive a DID"):
        derive_did("0x123", 8996)
    assert validate_did("did:op:" + "a" * 64) == "did:op:" + "a" * 64
    with pytest.raises(InvalidDID):
        validate_did(None)


@pytest.mark.parametrize(
    "address, code",
    [
        ("0x123", ConsumableCodes.OK),
        ("0x456", ConsumableCodes.OK),
        ("0x999", ConsumableCodes.CREDENTIAL_NOT_IN_ALLOW_LIST),
    ],
)
def test_allow_list_of_fixture(address, code):
    ddo = DDO.from_dict(fixture_json("ocean.py--ddo_v4_with_compute_service.json"))
    assert credentials_code(ddo, address) == code


def test_deny_list_applies_when_allow_list_is_empty():
    data = fixture_json("ocean.py--ddo_v4_with_compute_service.json")
    data["credentials"]["allow"] = []
    ddo = DDO.from_dict(data)
    assert credentials_code(ddo, "0x2222") == ConsumableCodes.CREDENTIAL_IN_DENY_LIST
    assert credentials_code(ddo, "0x2222".upper().replace("X", "x")) == ConsumableCodes.CREDENTIAL_IN_DENY_LIST
    assert credentials_code(ddo, "0x1") == ConsumableCodes.OK


@pytest.mark.parametrize("state, disabled", [(0, False), (1, True), (2, True), (3, True), (4, True), (5, False)])
def test_nft_state_decides_disabled(state, disabled):
    data = fixture_json("ocean.py--ddo_v4_sample.json")
    data["nft"]["state"] = state
    data["credentials"] = {"allow": [], "deny": []}
    ddo = DDO.from_dict(data)
    assert ddo.is_disabled is disabled
    expected = ConsumableCodes.ASSET_DISABLED if disabled else ConsumableCodes.OK
    assert consumable_code(ddo, "0x1", connectivity_ok=True) == expected


def test_empty_metadata_is_disabled_and_connectivity_comes_before_credentials():
    data = fixture_json("ocean.py--ddo_v4_sample.json")
    assert consumable_code(DDO.from_dict(data), "0x999", connectivity_ok=False) == ConsumableCodes.CONNECTIVITY_FAIL
    data["metadata"] = {}
    assert consumable_code(DDO.from_dict(data), "0x123", connectivity_ok=True) == ConsumableCodes.ASSET_DISABLED


@pytest.mark.parametrize(
    "answer, ok",
    [([{"valid": True}], True), ([{"valid": True}, {"valid": False}], False), ([], False), ({"valid": True}, False)],
)
def test_fileinfo_ok(answer, ok):
    assert fileinfo_ok(answer) is ok
