"""Trust rules, pure: consumability (nft state, credentials) and which algorithm a dataset trusts.

Two named policies, because the Python Provider and Ocean Node disagree (reference §4):
- `provider-py` (default): both trust lists empty = any algorithm; a non-empty publisher list AND a
  non-empty algorithm list must both pass; raw algorithms only need `allowRawAlgorithm`.
- `ocean-node`: both lists empty = deny; `"*"` is a wildcard; trusted algorithm OR trusted
  publisher (matched on the algorithm's nftAddress); raw algorithms are judged after the
  empty-lists deny.
Every function returns an error code of the Provider (reference §10) or None when allowed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

PROVIDER_PY = "provider-py"
OCEAN_NODE = "ocean-node"
CONSUMABLE_STATES = (0, 5)


@dataclass(frozen=True)
class AlgorithmFacts:
    """What the trust check needs to know about the algorithm of a job."""

    did: str | None  # None for a raw (meta) algorithm
    owner: str | None  # the algorithm DDO's nft.owner
    nft_address: str | None
    files_checksum: str | None
    container_checksum: str | None


def consumable_error(ddo: Mapping[str, Any], address: str | None) -> str | None:
    """The Provider's consumability error text for `address`, or None when it may consume."""
    nft = ddo.get("nft") or {}
    if not nft.get("address") or not ddo.get("chainId"):
        return "Asset malformed or disabled."
    if nft.get("state") not in CONSUMABLE_STATES:
        return "Asset is not consumable."
    code = credential_code(ddo, address)
    if code:
        return f"Error: Access to asset {ddo.get('id')} was denied with code: {code}."
    return None


def credential_code(ddo: Mapping[str, Any], address: str | None) -> int:
    """ConsumableCodes of the credential check: 0 ok, 1 disabled, 3 not in allow list, 4 in deny list."""
    if not ddo.get("metadata"):
        return 1
    creds = ddo.get("credentials") or {}
    allow = _addresses(creds.get("allow"))
    deny = _addresses(creds.get("deny"))
    addr = (address or "").lower()
    if allow:
        return 0 if addr in allow else 3
    if deny and addr in deny:
        return 4
    return 0


def _addresses(entries: Any) -> set[str]:
    out: set[str] = set()
    for entry in entries or []:
        if isinstance(entry, Mapping) and entry.get("type") == "address":
            out.update(str(v).lower() for v in entry.get("values") or [])
    return out


def algorithm_error(policy: str, service: Mapping[str, Any], algo: AlgorithmFacts) -> str | None:
    """Whether the dataset `service` (a DDO service dict) lets `algo` run: an error code or None."""
    if policy == OCEAN_NODE:
        return _ocean_node(service, algo)
    if policy == PROVIDER_PY:
        return _provider_py(service, algo)
    raise ValueError(f"unknown trust policy {policy!r}")


def _provider_py(service: Mapping[str, Any], algo: AlgorithmFacts) -> str | None:
    if service.get("type") != "compute":
        return None  # the Provider checks trust only on compute services
    compute = service.get("compute") or {}
    if algo.did is None:
        return None if compute.get("allowRawAlgorithm") else "no_raw_algo_allowed"
    algorithms = compute.get("publisherTrustedAlgorithms") or []
    publishers = compute.get("publisherTrustedAlgorithmPublishers") or []
    if publishers and algo.owner not in publishers:
        return "not_trusted_algo_publisher"
    if algorithms:
        entry = next((t for t in algorithms if t.get("did") == algo.did), None)
        if entry is None:
            return "not_trusted_algo"
        if entry.get("filesChecksum") and (algo.files_checksum or "").lower() != entry["filesChecksum"].lower():
            return "algorithm_file_checksum_mismatch"
        if entry.get("containerSectionChecksum") and algo.container_checksum != entry["containerSectionChecksum"]:
            return "algorithm_container_checksum_mismatch"
    return None


def _wild(expected: Any, actual: Any, fold: bool = False) -> bool:
    if expected in (None, "*"):
        return True
    if fold:
        return str(expected).lower() == str(actual or "").lower()
    return expected == actual


def _ocean_node(service: Mapping[str, Any], algo: AlgorithmFacts) -> str | None:
    if service.get("type") == "access":
        return None
    compute = service.get("compute")
    if service.get("type") != "compute" or not compute:
        return "not_trusted_algo"
    algorithms = compute.get("publisherTrustedAlgorithms") or []
    publishers = compute.get("publisherTrustedAlgorithmPublishers") or []
    if not algorithms and not publishers:
        return "no_publisherTrustedAlgorithms"
    if algo.did is None:
        return None if compute.get("allowRawAlgorithm") else "no_raw_algo_allowed"
    codes = []
    for t in algorithms:
        if not _wild(t.get("did"), algo.did):
            codes.append("not_trusted_algo")
        elif not _wild(t.get("filesChecksum"), algo.files_checksum, fold=True):
            codes.append("algorithm_file_checksum_mismatch")
        elif not _wild(t.get("containerSectionChecksum"), algo.container_checksum):
            codes.append("algorithm_container_checksum_mismatch")
        else:
            return None
    if any(p == "*" or str(p).lower() == (algo.nft_address or "").lower() for p in publishers):
        return None
    # The most specific reason wins: a listed DID with a wrong checksum says more than "not listed".
    for code in ("algorithm_file_checksum_mismatch", "algorithm_container_checksum_mismatch", "not_trusted_algo"):
        if code in codes:
            return code
    return "not_trusted_algo_publisher"
