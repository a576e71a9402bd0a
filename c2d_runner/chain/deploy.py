"""Deploy Ocean's contracts as barge's `development` network has them, plus the Escrow.

Mirrors oceanprotocol/contracts scripts/deploy-contracts.js (owner = OPF owner = router owner):
OCEAN, the OPC fee collector, the router, fixed-rate exchange, the datatoken and NFT templates,
dispenser, factory, then the router's wiring; and Escrow(router, OPC collector), the contract
Ocean Nodes take compute payments through. With the fixed TEST deployer the addresses are the
same on every boot.
"""
from __future__ import annotations

from typing import Any

from c2d_runner.chain.accounts import TEST_OCEAN_SUPPLY
from c2d_runner.chain.artifacts import load_artifact
from c2d_runner.chain.tx import send

# Contracts deployed, in order (their artifacts also key the state cache).
DEPLOYED = ("OceanToken", "OPFCommunityFeeCollector", "FactoryRouter", "FixedRateExchange", "ERC20Template",
            "ERC20TemplateEnterprise", "ERC721Template", "Dispenser", "ERC721Factory", "Escrow")
# The router has no BPool template on development; deploy-contracts.js passes this placeholder.
NO_POOL_TEMPLATE = "0x000000000000000000000000000000000000dEaD"
DEPLOY_GAS = 8_000_000
CALL_GAS = 1_000_000


def deploy_all(w3: Any, owner: Any) -> dict[str, Any]:
    """Deploy and wire everything from `owner`; the `development` entry of an address.json."""
    def create(name: str, *args: Any) -> str:
        art = load_artifact(name)
        ctor = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"]).constructor(*args)
        return send(w3, owner, ctor, f"deploying {name}", gas=DEPLOY_GAS)["contractAddress"]

    def call(name: str, address: str, fn: str, *args: Any) -> None:
        contract = w3.eth.contract(address=address, abi=load_artifact(name)["abi"])
        send(w3, owner, getattr(contract.functions, fn)(*args), f"{name}.{fn}", gas=CALL_GAS)

    me = owner.address
    ocean = create("OceanToken", me)
    call("OceanToken", ocean, "mint", me, TEST_OCEAN_SUPPLY)
    collector = create("OPFCommunityFeeCollector", me, me)
    router = create("FactoryRouter", me, ocean, NO_POOL_TEMPLATE, collector, [])
    fre = create("FixedRateExchange", router)
    erc20 = create("ERC20Template")
    erc20_enterprise = create("ERC20TemplateEnterprise")
    erc721 = create("ERC721Template")
    dispenser = create("Dispenser", router)
    factory = create("ERC721Factory", erc721, erc20, router)
    call("ERC721Factory", factory, "addTokenTemplate", erc20_enterprise)
    call("FactoryRouter", router, "addFactory", factory)
    call("FactoryRouter", router, "addFixedRateContract", fre)
    call("FactoryRouter", router, "addDispenserContract", dispenser)
    escrow = create("Escrow", router, collector)
    return {
        "chainId": int(w3.eth.chain_id),
        "Ocean": ocean,
        "OPFCommunityFeeCollector": collector,
        "Router": router,
        "FixedPrice": fre,
        "ERC20Template": {"1": erc20, "2": erc20_enterprise},
        "ERC721Template": {"1": erc721},
        "Dispenser": dispenser,
        "ERC721Factory": factory,
        "Escrow": escrow,
        "startBlock": 0,
    }


__all__ = ["DEPLOYED", "deploy_all"]
