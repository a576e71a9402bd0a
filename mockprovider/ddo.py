"""Full v4.1.0 DDOs for the world's assets, as Aquarius serves them (with nft, datatokens, event...).

Pure: world objects + the mock's URL in, plain dicts out.  `files` is an opaque hex placeholder,
as on a real network only the provider could decrypt it; the local path never appears.
"""
from __future__ import annotations

import hashlib
from typing import Any

from mockprovider.world import ComputeOptions, Service, World, WorldAsset

DDO_VERSION = "4.1.0"
CREATED = "2024-01-01T00:00:00Z"  # fixed, so DDO hashes are stable across runs


def build_ddos(world: World, url: str) -> dict[str, dict[str, Any]]:
    """DID -> DDO for every asset of the world; services point at `url`."""
    return {asset.did: build_ddo(world, asset, url) for asset in world.assets}


def build_ddo(world: World, asset: WorldAsset, url: str) -> dict[str, Any]:
    """The DDO of one asset as Aquarius would return it."""
    metadata: dict[str, Any] = {
        "created": CREATED,
        "updated": CREATED,
        "type": asset.kind,
        "name": asset.name,
        "description": asset.description,
        "author": asset.author,
        "license": asset.license,
        "tags": list(asset.tags),
    }
    if asset.container is not None:
        metadata["algorithm"] = {
            "language": asset.language,
            "version": "0.1",
            "format": "docker-image",
            "container": {
                "entrypoint": asset.container.entrypoint,
                "image": asset.container.image,
                "tag": asset.container.tag,
                "checksum": asset.container.checksum,
            },
            "consumerParameters": [dict(p) for p in asset.consumer_parameters],
        }
    return {
        "@context": ["https://w3id.org/did/v1"],
        "id": asset.did,
        "version": DDO_VERSION,
        "chainId": world.chain_id,
        "nftAddress": asset.nft_address,
        "metadata": metadata,
        "services": [_service(asset, s, url) for s in asset.services],
        "credentials": {
            "allow": [{"type": "address", "values": list(asset.allow)}] if asset.allow else [],
            "deny": [{"type": "address", "values": list(asset.deny)}] if asset.deny else [],
        },
        "nft": {
            "address": asset.nft_address,
            "name": "Ocean Data NFT",
            "symbol": "OCEAN-NFT",
            "owner": asset.owner,
            "state": asset.nft_state,
            "created": CREATED,
            "tokenURI": f"{url}/api/aquarius/assets/metadata/{asset.did}",
        },
        "datatokens": [
            {"address": s.datatoken, "name": f"{asset.name} {s.id} datatoken", "symbol": f"DT-{s.id.upper()}", "serviceId": s.id}
            for s in asset.services
        ],
        "event": {
            "tx": "0x" + hashlib.sha256(f"publish:{asset.did}".encode()).hexdigest(),
            "block": 1,
            "from": asset.owner,
            "contract": asset.nft_address,
            "datetime": CREATED,
        },
        "stats": {"orders": 0, "price": {"value": 0}},
        "purgatory": {"state": False},
    }


def _service(asset: WorldAsset, service: Service, url: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": service.id,
        "type": service.type,
        "name": service.name,
        "description": f"{service.name} of {asset.name}",
        "datatokenAddress": service.datatoken,
        "serviceEndpoint": url,
        # Opaque like the provider-encrypted files string of a real DDO: a digest, never a path.
        "files": "0x" + hashlib.sha256(f"files:{asset.did}:{service.id}".encode()).hexdigest(),
        "timeout": service.timeout,
    }
    if service.type == "compute":
        # An algorithm's own compute service carries the (unused) compute object too, as published DDOs do.
        c = service.compute or ComputeOptions()
        out["compute"] = {
            "allowRawAlgorithm": c.allowRawAlgorithm,
            "allowNetworkAccess": c.allowNetworkAccess,
            "publisherTrustedAlgorithmPublishers": list(c.publisherTrustedAlgorithmPublishers),
            "publisherTrustedAlgorithms": [
                {k: v for k, v in (("did", t.did), ("filesChecksum", t.filesChecksum),
                                   ("containerSectionChecksum", t.containerSectionChecksum)) if v is not None}
                for t in c.publisherTrustedAlgorithms
            ],
        }
    return out
