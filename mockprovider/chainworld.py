"""A mock world on the local chain: its assets published as real data NFTs with datatokens.

Each world asset becomes a data NFT with one datatoken per service, published by the chain's
TEST deployer; the TEST consumer (the mock's well-known consumer key) gets OCEAN and datatokens
to pay with. The served DDOs then name the on-chain NFT and datatokens, and environments charge
in the chain's OCEAN.

The world's DIDs are kept (specs name them, so a spec runs unchanged with `chain: true`), so a
DID is not re-derivable from the on-chain NFT address as Aquarius would derive it: a documented
difference of the mock, not of the chain.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from mockprovider.world import World

CONSUMER_OCEAN = 1_000 * 10**18  # OCEAN the TEST consumer starts with
CONSUMER_DATATOKENS = 100 * 10**18  # of each datatoken
ZERO = "0x0000000000000000000000000000000000000000"


def world_key(world: World) -> str:
    """A digest of what publishing depends on (asset names and services, in order), for the state cache."""
    shape = [(a.name, [s.id for s in a.services]) for a in world.assets]
    return "mock-world/1:" + hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]


def publish_world(chain: Any, world: World) -> dict[str, Any]:
    """Publish every asset of `world` and fund the TEST consumer; {asset name: {nft, datatokens: {service: dt}}}."""
    from c2d_runner.chain.accounts import known_account
    from c2d_runner.chain.publish import mint, publish_nft, transfer

    publisher = known_account("deployer")
    consumer = known_account("consumer").address
    published: dict[str, Any] = {}
    with chain.lock:
        for n, asset in enumerate(world.assets):
            services = [s.id for s in asset.services]
            nft = publish_nft(chain.w3, chain.addresses["ERC721Factory"], publisher, asset.name,
                              f"A{n}", [f"{asset.name} {sid}" for sid in services])
            for datatoken in nft.datatokens:
                mint(chain.w3, publisher, datatoken, consumer, CONSUMER_DATATOKENS)
            published[asset.name] = {"nft": nft.nft, "datatokens": dict(zip(services, nft.datatokens))}
        transfer(chain.w3, publisher, chain.addresses["Ocean"], consumer, CONSUMER_OCEAN)
    return {world_key(world): published}


def preparation(world: World) -> Any:
    """The LocalChain.boot `prepare` that publishes `world` once (then served from the state cache)."""
    from c2d_runner.chain.local import Preparation

    return Preparation(world_key(world), lambda chain: publish_world(chain, world))


def on_chain(world: World, published: dict[str, Any], ocean: str) -> World:
    """`world` with each asset's NFT and datatokens as published, and fees charged in `ocean` (pure)."""
    def asset_on_chain(asset: Any) -> Any:
        entry = published[asset.name]
        services = tuple(dataclasses.replace(s, datatoken=entry["datatokens"][s.id]) for s in asset.services)
        return dataclasses.replace(asset, nft_address=entry["nft"], services=services)

    envs = tuple(e if e.feeToken == ZERO else dataclasses.replace(e, feeToken=ocean) for e in world.environments)
    return dataclasses.replace(world, datasets=tuple(map(asset_on_chain, world.datasets)),
                               algorithms=tuple(map(asset_on_chain, world.algorithms)), environments=envs)


def attach(chain: Any, world: World) -> World:
    """`world` on `chain`: published at the chain's boot (its `prepared`) or now; the world with chain addresses.

    What is published now is not remembered on the chain object: a snapshot revert would undo it.
    """
    published = chain.prepared.get(world_key(world))
    if published is None:
        published = publish_world(chain, world)[world_key(world)]
    return on_chain(world, published, chain.addresses["Ocean"])


__all__ = ["world_key", "publish_world", "preparation", "on_chain", "attach"]
