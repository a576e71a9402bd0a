"""Ocean's contract addresses on a chain, by chain id: the `ocean-contracts` wheel's address.json
(public networks), or an address.json of your own (a local chain's, a private deployment's).

Read at run time from the installed wheel, never copied into this repository. The client needs
them where a provider does not say: the OCEAN token (to name a fee token) and the Escrow contract.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from c2d_runner.errors import InvalidInput


class UnknownChain(InvalidInput):
    """No Ocean deployment is known for the chain id (not in the wheel's address.json, nor in the given file)."""


@dataclass(frozen=True)
class NetworkAddresses:
    """One network's entry of an address.json: its name, chain id and contract addresses."""

    network: str
    chain_id: int
    contracts: Mapping[str, Any]
    source: str  # where the entry was read ("ocean-contracts 3.1.0" or a file path)

    def get(self, contract: str) -> str | None:
        """The address of `contract` ("Ocean", "Escrow", "ERC721Factory"...), or None when not deployed there."""
        value = self.contracts.get(contract)
        return value if isinstance(value, str) and value.startswith("0x") else None


def network_entry(book: Mapping[str, Any], chain_id: int, source: str) -> NetworkAddresses:
    """The entry of `book` (an address.json's content) for `chain_id`; UnknownChain says which chains it knows (pure)."""
    for network, entry in book.items():
        if isinstance(entry, Mapping) and entry.get("chainId") == chain_id:
            return NetworkAddresses(network, chain_id, entry, source)
    known = ", ".join(f"{name} {entry.get('chainId')}" for name, entry in sorted(book.items(), key=lambda kv: str(kv[0]))
                      if isinstance(entry, Mapping))
    raise UnknownChain(f"chain id {chain_id} has no Ocean deployment in {source} (it knows: {known}); "
                       "for another chain give address_file: an address.json with its contracts")


@functools.lru_cache(maxsize=None)
def _wheel_book() -> tuple[dict[str, Any], str]:
    from importlib import metadata

    from c2d_runner.chain.artifacts import DISTRIBUTION, EXTRA_HINT, ChainUnavailable

    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise ChainUnavailable(f"Ocean's contract addresses are not installed ({EXTRA_HINT})") from None
    path = Path(str(dist.locate_file("addresses/address.json")))
    return json.loads(path.read_text(encoding="utf-8")), f"{DISTRIBUTION} {dist.version}"


def network_addresses(chain_id: int, address_file: Path | None = None) -> NetworkAddresses:
    """Ocean's addresses on `chain_id`: from `address_file` when given, else from the installed wheel."""
    if address_file is None:
        book, source = _wheel_book()
        return network_entry(book, chain_id, source)
    try:
        book = json.loads(Path(address_file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UnknownChain(f"cannot read the address file {address_file}: {exc}") from None
    if not isinstance(book, Mapping):
        raise UnknownChain(f"the address file {address_file} is not an address.json (a mapping of networks)")
    return network_entry(book, chain_id, str(address_file))


__all__ = ["UnknownChain", "NetworkAddresses", "network_entry", "network_addresses"]
