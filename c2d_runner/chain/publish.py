"""Publish on the local chain as Ocean's publishing flow does: a data NFT with datatokens, then mint.

`createNftWithErc20` takes the two tuples ocean-lib 3.1.2's `create_with_erc20` builds; further
datatokens of the same NFT come from `ERC721Template.createERC20`. Addresses are read from the
factory's NFTCreated / TokenCreated events of the receipt (never from log filters: slow on eth-tester).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from c2d_runner.chain.artifacts import abi
from c2d_runner.chain.tx import events, send

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_UINT256 = 2**256 - 1
PUBLISH_GAS = 6_000_000


@dataclass(frozen=True)
class Published:
    """A data NFT and its datatokens, in the order they were asked for."""

    nft: str
    datatokens: tuple[str, ...]


def _erc20_args(owner: str, name: str, symbol: str, template: int) -> tuple:
    """The ERC20 create data: (template, [name, symbol], [minter, paymentCollector, mktFeeAddr, mktFeeToken], [cap, mktFee], [])."""
    return (template, [name, symbol], [owner, owner, owner, ZERO_ADDRESS], [MAX_UINT256, 0], [])


def publish_nft(w3: Any, factory_address: str, publisher: Any, name: str, symbol: str,
                datatoken_names: list[str], template: int = 1, token_uri: str = "") -> Published:
    """Create a data NFT owned by `publisher` with one datatoken per name (minter = payment collector = publisher)."""
    if not datatoken_names:
        raise ValueError("a data NFT is published with at least one datatoken")
    factory = w3.eth.contract(address=factory_address, abi=abi("ERC721Factory"))
    owner = publisher.address
    nft_args = (name, symbol, 1, token_uri, True, owner)
    first = datatoken_names[0]
    receipt = send(w3, publisher, factory.functions.createNftWithErc20(
        nft_args, _erc20_args(owner, first, f"DT-{symbol}-1", template)), f"publishing {name}", gas=PUBLISH_GAS)
    nft = events(factory.events.NFTCreated, receipt)[0]["args"]["newTokenAddress"]
    tokens = [events(factory.events.TokenCreated, receipt)[0]["args"]["newTokenAddress"]]
    nft_contract = w3.eth.contract(address=nft, abi=abi("ERC721Template"))
    for n, dt_name in enumerate(datatoken_names[1:], start=2):
        args = _erc20_args(owner, dt_name, f"DT-{symbol}-{n}", template)
        receipt = send(w3, publisher, nft_contract.functions.createERC20(*args), f"creating datatoken {dt_name}",
                       gas=PUBLISH_GAS)
        tokens.append(events(factory.events.TokenCreated, receipt)[0]["args"]["newTokenAddress"])
    return Published(nft, tuple(tokens))


def mint(w3: Any, minter: Any, datatoken: str, to: str, amount: int) -> None:
    """Mint `amount` (wei) of `datatoken` to `to`; `minter` must hold the minter role."""
    dt = w3.eth.contract(address=datatoken, abi=abi("ERC20Template"))
    send(w3, minter, dt.functions.mint(to, amount), f"minting datatoken {datatoken}", gas=300_000)


def transfer(w3: Any, sender: Any, token: str, to: str, amount: int) -> None:
    """Transfer `amount` (wei) of an ERC20 `token` from `sender` to `to`."""
    erc20 = w3.eth.contract(address=token, abi=abi("OceanToken"))
    send(w3, sender, erc20.functions.transfer(to, amount), f"transferring {token}", gas=200_000)


__all__ = ["ZERO_ADDRESS", "MAX_UINT256", "Published", "publish_nft", "mint", "transfer"]
